"""Fixtures: settings in a temp data dir, the seed documents, a fake and the real embedder."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from rag.config import ROOT, Settings, load_settings
from rag.ingest.readers import ingest_paths
from rag.lang.text import bigrams
from rag.records import Document
from rag.server.app import create_app
from rag.service import RagService

SEEDS = ROOT / "seeds"
# the second corpus (38 real reports), read in place; a user's own clone may not have it
CORPUS = ROOT.parent / "shared" / "corpus"
NO_CORPUS = f"needs the real-report corpus at {CORPUS} (present in CI, absent in a plain clone)"


class FakeEmbedder:
    """Hashed bag of character bigrams: deterministic, instant, and similar texts score higher."""

    name = "fake-bigram-hash"
    dim = 64

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for gram in bigrams(text):
            digest = hashlib.blake2b(gram.encode(), digest_size=4).digest()
            vec[int.from_bytes(digest, "little") % self.dim] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts])

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return np.stack([self._one(t) for t in texts])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `RAG_TEST_VECTOR_STORE=milvus` the tests of FAISS's own files are skipped."""
    if os.environ.get("RAG_TEST_VECTOR_STORE", "faiss") == "faiss":
        return
    skip = pytest.mark.skip(reason="tests FAISS's own files or processes on the default store")
    for item in items:
        if "faiss_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the data directory in a temp dir (the model dir stays shared).

    The fitted evidence model belongs to the real embedding model; tests with the fake
    embedder answer by the lexical bar (min_evidence) instead. `RAG_TEST_VECTOR_STORE=milvus`
    runs the same tests on the Milvus store (`make test-milvus`)."""
    store = os.environ.get("RAG_TEST_VECTOR_STORE", "faiss")
    return load_settings(
        env={},
        data_dir=tmp_path / "data",
        evidence_model=tmp_path / "none.json",
        vector_store=store,
    )


@pytest.fixture(scope="session")
def seed_documents() -> list[Document]:
    """The five seed plans, ingested once."""
    docs, failures = ingest_paths([SEEDS])
    assert not failures
    return docs


@pytest.fixture
def fake_service(settings: Settings) -> RagService:
    """A service over the seeds with the fake embedder (fast; no model)."""
    service = RagService(settings, FakeEmbedder())
    service.ingest([SEEDS])
    return service


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings (real model) with a session temp data dir."""
    return load_settings(env={}, data_dir=tmp_path_factory.mktemp("real") / "data")


@pytest.fixture(scope="session")
def real_embedder(real_settings: Settings) -> object:
    """The converted multilingual-e5-small, loaded once per session."""
    from embeddings.embedder import load_embedder

    return load_embedder(real_settings)


@pytest.fixture(scope="session")
def real_service(real_settings: Settings, real_embedder: object) -> Iterator[RagService]:
    """The real system over the seeds: real model, real index, built once per session."""
    service = RagService(real_settings, real_embedder)  # type: ignore[arg-type]
    service.ingest([SEEDS])
    yield service


@pytest.fixture(scope="session")
def corpus_service(real_embedder: object) -> Iterator[RagService]:
    """The real system over seeds + the 38 real reports, in a persistent data dir so a local
    rerun reuses the vectors (only changed text is embedded again)."""
    if not CORPUS.is_dir():
        pytest.skip(NO_CORPUS)
    settings = load_settings(env={}, data_dir=ROOT / "data" / "test-corpus")
    service = RagService(settings, real_embedder)  # type: ignore[arg-type]
    service.ingest([SEEDS, CORPUS])
    yield service


# --- browser tests: Debian's chromium (Playwright's own download is not reachable) ----------

CHROMIUM = Path("/usr/bin/chromium")
# without the background-networking flags chromium's connections are refused by this closed
# network many at a time; the others keep a headless run quiet and reproducible
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless chromium for every browser test of the session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs the Debian chromium package")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def server() -> object:
    """The session's real `rag serve` (tests/live_server.py), started on first use."""
    from tests.live_server import live_server

    return live_server()


# --- HTTP tests: the app over the fake service ---------------------------------------------

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(settings: Settings, fake_service: RagService) -> Iterator[MakeClient]:
    """A TestClient over an app built with some settings changed (lifespan entered)."""
    clients: list[TestClient] = []

    def make(**changes: Any) -> TestClient:
        client = TestClient(create_app(settings.replace(**changes), fake_service))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    """A TestClient over the app with the test settings."""
    return make_client()


def events(body: str) -> list[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of a Server-Sent Events body."""
    out = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        out.append((fields.get("event", "message"), json.loads(fields["data"])))
    return out


def service_over(settings: Settings, folder: Path, files: dict[str, str]) -> RagService:
    """A service (fake embedder) over made-up plans (file name -> text) written into `folder`,
    answering with the lexical bar: the fitted evidence model's weights belong to the real
    embedding model."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    svc = RagService(settings.replace(evidence_model=folder / "none.json"), FakeEmbedder())
    svc.ingest([folder])
    return svc


def made_up_rows(
    text: str, region: str = "", level: str = "", outline: bool = False
) -> dict[str, Any]:
    """The targets rows of a made-up 2034 青山市 report, by value as written (`outline`: with the
    sections its headings make)."""
    from rag.ingest.outline import parse_sections
    from rag.targets.extract import extract_document

    doc = Document(
        "made-up",
        "made-up.txt",
        text,
        "2034年青山市政府工作报告",
        "0",
        year=2034,
        region=region or None,
        region_level=level or None,
        sections=parse_sections(text) if outline else (),
    )
    return {r.value: r for r in extract_document(doc)}
