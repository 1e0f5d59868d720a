"""Retrieval: fusion arithmetic, scope steering by region and year, filters, score breakdown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.errors import InputError
from rag.records import Document
from rag.retrieval.fusion import make_fusion, rrf_fusion, weighted_fusion
from rag.retrieval.retrieve import Filters, resolve_scope
from rag.service import RagService


def test_weighted_fusion_by_hand() -> None:
    bm25 = np.array([10.0, 5.0, 0.0], dtype=np.float32)  # -> 1.0, 0.5, 0.0
    dense = np.array([0.80, 0.90, 0.85], dtype=np.float32)  # -> 0.0, 1.0, 0.5
    fused = weighted_fusion(bm25, dense, 0.7, 0.3)
    assert np.allclose(fused, [0.7, 0.35 + 0.3, 0.15], atol=1e-6)


def test_weighted_fusion_constant_scores_carry_no_order() -> None:
    fused = weighted_fusion(
        np.ones(3, dtype=np.float32), np.array([0.1, 0.3, 0.2], np.float32), 0.5, 0.5
    )
    assert np.allclose(fused, [0.0, 0.5, 0.25])


def test_rrf_by_hand() -> None:
    fused = rrf_fusion([np.array([1, 2, 3]), np.array([3, 1, 2])], k=60)
    assert fused[1] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[0] == pytest.approx(1 / 61 + 1 / 63)
    assert fused.argmax() == 1
    with pytest.raises(ValueError, match="rrf k must be at least 1"):
        rrf_fusion([np.array([1])], 0)


def _docs(seed_documents: list[Document]) -> dict[str, Document]:
    return {d.doc_id: d for d in seed_documents}


@pytest.mark.parametrize(
    ("question", "prefixes"),
    [
        ("陕西省2022年技术合同成交额目标是多少?", {"002"}),
        ("安徽2021年新增多少家省级科技特派员工作站?", {"000"}),
        ("芜湖市上半年技术合同成交额是多少?", {"004"}),
        ("江西省2021年研发投入强度目标?", {"003"}),
        ("安徽省和陕西省分别新增多少高新技术企业?", {"000", "002"}),
        # a place named by its level only: the city plans, then the year picks one
        ("某市2021年计划认定多少家市级新型研发机构?", {"001"}),
        ("某市的科技特派员工作有什么安排?", {"001", "004"}),
    ],
)
def test_scope_steers_to_named_region(
    seed_documents: list[Document], question: str, prefixes: set[str]
) -> None:
    scope = resolve_scope(question, _docs(seed_documents), Filters())
    assert scope.doc_ids is not None
    assert {d[:3] for d in scope.doc_ids} == prefixes


@pytest.mark.parametrize(
    "question",
    [
        "广东省2021年新增多少高新技术企业?",
        "陕西省2023年技术合同成交额目标是多少?",
        "深圳市的科技工作要点有哪些?",
    ],
)
def test_scope_is_empty_for_places_or_years_not_covered(
    seed_documents: list[Document], question: str
) -> None:
    scope = resolve_scope(question, _docs(seed_documents), Filters())
    assert scope.empty and scope.reason


def test_unscoped_question_searches_everything(seed_documents: list[Document]) -> None:
    scope = resolve_scope("科技特派员有什么安排?", _docs(seed_documents), Filters())
    assert scope.doc_ids is None and not scope.empty


def test_filters_restrict_and_unknown_doc_is_an_error(seed_documents: list[Document]) -> None:
    docs = _docs(seed_documents)
    scope = resolve_scope("科技特派员", docs, Filters(year=2021))
    assert scope.doc_ids is not None and {docs[d].year for d in scope.doc_ids} == {2021}
    with pytest.raises(InputError, match=r"filters\.doc_id must be one of"):
        resolve_scope("x", docs, Filters(doc_id="nope"))


def test_search_returns_breakdown_and_respects_scope(fake_service: RagService) -> None:
    hits = fake_service.search("陕西省2022年技术合同成交额目标是多少?", top_k=5)
    assert 0 < len(hits) <= 5
    assert all(h.chunk.doc_id.startswith("002") for h in hits)
    assert "技术合同成交额" in hits[0].chunk.text
    assert hits[0].bm25 > 0 and hits[0].score >= hits[-1].score
    assert all(h.bm25_rank is not None and h.dense_rank is not None for h in hits)


@pytest.mark.parametrize("fusion", ["weighted", "rrf", "bm25", "dense"])
def test_every_fusion_mode_ranks(fake_service: RagService, fusion: str) -> None:
    hits = fake_service.search("揭榜挂帅", top_k=3, fusion=fusion)
    assert len(hits) == 3


def test_literal_phrases_are_found(fake_service: RagService) -> None:
    """Any stretch of document text, typed as a query, comes back in a top passage."""
    import random

    rng = random.Random(7)
    chunks = [c for c in fake_service.index.chunks if len(c.text) > 40]
    misses = []
    for _ in range(60):
        chunk = rng.choice(chunks)
        start = rng.randrange(0, len(chunk.text) - 12)
        phrase = chunk.text[start : start + rng.choice([6, 8, 12])]
        hits = fake_service.search(phrase, top_k=5, fusion="bm25")
        if not any(phrase in h.chunk.text for h in hits):
            misses.append(phrase)
    assert not misses


def test_the_candidate_cut_equals_a_stable_sort_even_with_ties() -> None:
    from rag.retrieval.fusion import best as _best

    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, size=500).astype(np.float32)  # many ties
    for n in (1, 7, 50, 499, 500, 600):
        want = set(np.argsort(-scores, kind="stable")[:n].tolist())
        assert set(_best(scores, n).tolist()) == want


def test_fusion_components_are_chosen_by_name(settings: Settings) -> None:
    bm25 = np.array([3.0, 1.0, 0.0], dtype=np.float32)
    dense = np.array([0.1, 0.9, 0.5], dtype=np.float32)
    assert make_fusion("bm25", settings).fuse(bm25, dense).tolist() == bm25.tolist()
    assert make_fusion("dense", settings).fuse(bm25, dense).tolist() == dense.tolist()
    weighted = make_fusion("weighted", settings).fuse(bm25, dense)
    assert np.allclose(weighted, weighted_fusion(bm25, dense, 0.5, 0.5))
    rrf = make_fusion("rrf", settings).fuse(bm25, dense)
    assert rrf[1] > rrf[2]  # ranks 2+1 beat 3+2
    with pytest.raises(ValueError, match="fusion must be"):
        make_fusion("max", settings)


def test_a_figure_the_question_quotes_names_its_passage(tmp_path: Path) -> None:
    """「…定成了5.0%到5.5%」: the one passage holding both figures comes first, though others
    share more of the question's words (a lone figure weighs little in BM25)."""
    from tests.conftest import service_over

    words = "星火指数增长目标稳步提高，星火指数增长目标保持合理区间。"
    files = {
        f"qs-{n}.txt": f"青山市{n}号文件\n{words * 3}星火指数增长{n}%。\n" for n in range(1, 6)
    }
    files["sg.txt"] = "松果市文件\n今年全市光谷产值增长6%，星火指数增长5.0%—5.5%。\n"
    svc = service_over(Settings(data_dir=tmp_path / "data"), tmp_path / "plans", files)
    hits = svc.search("哪个市把星火指数增长目标定成了5.0%到5.5%的区间?", top_k=3)
    assert hits[0].chunk.doc_id.startswith("sg")
