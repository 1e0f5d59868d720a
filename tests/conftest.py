"""Fixtures: settings in a temp data dir, the seed documents, a fake and the real embedder."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rag.config import ROOT, Settings, load_settings
from rag.ingest import ingest_paths
from rag.service import RagService
from rag.text import bigrams
from rag.types import Document

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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the data directory in a temp dir (the model dir stays shared).

    The fitted evidence model belongs to the real embedding model; tests with the fake
    embedder answer by the lexical bar (min_evidence) instead."""
    return load_settings(env={}, data_dir=tmp_path / "data", evidence_model=tmp_path / "none.json")


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
