"""The Milvus vector store (milvus-lite in a temp file) against FAISS: same answers.

Runs in CI like every test; milvus-lite is a pinned dependency, no server is needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.evaluation.question_sets import load_questions
from rag.index.milvus import MilvusStore
from rag.service import RagService
from tests.conftest import SEEDS, FakeEmbedder

DEV = Path(__file__).parent / "data" / "dev_questions.jsonl"


def _unit(n: int, dim: int, seed: int) -> np.ndarray:
    vecs = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def test_the_store_searches_scopes_and_reattaches(tmp_path: Path) -> None:
    uri = str(tmp_path / "m.db")
    vecs = _unit(400, 16, 0)
    store = MilvusStore(16, uri)
    store.add(list(range(400)), vecs)
    query = _unit(1, 16, 1)
    scores, ids = store.search(query, 5)
    exact = np.argsort(-(vecs @ query[0]))[:5]
    assert ids[0].tolist() == exact.tolist()
    assert np.allclose(scores[0], vecs[exact] @ query[0], atol=1e-4)
    within = np.arange(1, 400, 3, dtype=np.int64)
    _, scoped = store.search(query, 5, within)
    assert set(scoped[0].tolist()) <= set(within.tolist())
    store.save(tmp_path)
    again = MilvusStore.load(tmp_path, 16, uri)
    assert again.collection == store.collection
    assert again.search(query, 5)[1].tolist() == ids.tolist()
    # a wiped server: the generation's own vectors fill a new collection
    fresh = MilvusStore.load(tmp_path, 16, str(tmp_path / "other.db"))
    assert fresh.search(query, 5)[1].tolist() == ids.tolist()


@pytest.fixture
def pair(settings: Settings, tmp_path: Path) -> tuple[RagService, RagService]:
    faiss_service = RagService(settings, FakeEmbedder())
    faiss_service.ingest([SEEDS])
    milvus_settings = settings.replace(data_dir=tmp_path / "milvus-data", vector_store="milvus")
    milvus_service = RagService(milvus_settings, FakeEmbedder())
    milvus_service.ingest([SEEDS])
    return faiss_service, milvus_service


def test_dev_questions_get_the_same_answers_on_milvus_and_faiss(
    pair: tuple[RagService, RagService],
) -> None:
    on_faiss, on_milvus = pair
    assert on_milvus.kb.generations.current().joinpath("milvus.json").exists()
    questions, bad = load_questions(DEV)
    assert not bad
    overlap = []
    for q in questions:
        a, b = on_faiss.ask(q.question), on_milvus.ask(q.question)
        assert (a.answer, a.refused) == (b.answer, b.refused), q.question
        top_a = [h.chunk.chunk_id for h in a.hits[:5]]
        top_b = [h.chunk.chunk_id for h in b.hits[:5]]
        overlap.append(len(set(top_a) & set(top_b)) / max(len(top_a), 1))
    assert np.mean(overlap) >= 0.9
    # a restart reads the generation and attaches to the same collection
    reloaded = RagService(on_milvus.settings, FakeEmbedder())
    reloaded.load()
    q = questions[0].question
    assert reloaded.ask(q).answer == on_milvus.ask(q).answer
