"""Service: validation, incremental ingest, follow-up rewriting, the withheld-answer guard."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.errors import IndexMismatchError, InputError, NotFoundError
from rag.service import RagService, Turn, rewrite_followup, validate_question
from tests.conftest import SEEDS, FakeEmbedder

# the numeric answer names its period and measure, then the figure (all verbatim but the label)
SHAANXI_ANSWER = "2022年目标:技术合同成交额达到2500亿元"


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "must not be empty"), ("   \n", "must not be empty"), ("问" * 501, "at most 500")],
)
def test_bad_questions_say_which_rule(settings: Settings, question: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        validate_question(question, settings)


def test_non_string_question(settings: Settings) -> None:
    with pytest.raises(InputError, match="must be a string"):
        validate_question(42, settings)


def test_ingest_unchanged_is_free_and_changed_doc_alone_is_reembedded(
    settings: Settings, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    service = RagService(settings, FakeEmbedder())
    first = service.ingest([corpus])
    sentences = service.index.sentences
    assert sentences is not None and len(sentences) > first.chunks > 100
    # every distinct chunk and sentence text is embedded once
    texts = {c.embed_text for c in service.index.chunks}
    texts |= {"\x00" + service.index.documents[d].text[s:e] for d, s, e in sentences.keys}
    assert not first.unchanged and first.embedded == len(texts)

    again = RagService(settings, FakeEmbedder()).ingest([corpus])
    assert again.unchanged and again.embedded == 0

    target = corpus / "004_af02aa0effd2c52e.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\n\n6.新增一条测试内容。\n", "utf-8")
    service = RagService(settings, FakeEmbedder())
    changed = service.ingest([corpus])
    wuhu_chunks = sum(1 for c in service.index.chunks if c.doc_id.startswith("004"))
    assert not changed.unchanged
    # only the new item's chunk and sentence are new text: nothing else is embedded again
    assert 0 < changed.embedded <= 3 < wuhu_chunks
    assert any("新增一条测试内容" in c.text for c in service.index.chunks)


def test_ingest_reports_bad_files_and_keeps_the_rest(settings: Settings, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (corpus / "empty.txt").write_bytes(b"")
    report = RagService(settings, FakeEmbedder()).ingest([corpus])
    assert report.documents == 5
    assert {Path(p).name for p, _ in report.failures} == {"broken.pdf", "empty.txt"}


def test_nothing_ingestible_is_an_error(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_bytes(b"")
    with pytest.raises(InputError, match="no document could be ingested"):
        RagService(settings, FakeEmbedder()).ingest([tmp_path / "x.txt"])


def test_index_from_another_model_is_refused(fake_service: RagService) -> None:
    other = FakeEmbedder()
    other.name = "another-model"
    service = RagService(fake_service.settings, other)
    with pytest.raises(IndexMismatchError, match="another-model"):
        service.load()


def test_unknown_document_is_not_found(fake_service: RagService) -> None:
    with pytest.raises(NotFoundError, match="unknown document"):
        fake_service.document("../../etc/passwd")


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        ("那陕西呢?", "陕西2022年新增多少家省级科技特派员工作站?"),
        ("江西呢?", "江西2021年新增多少家省级科技特派员工作站?"),
        ("那2022年呢?", "安徽2022年新增多少家省级科技特派员工作站?"),
    ],
)
def test_follow_up_rewrite(fake_service: RagService, follow_up: str, expected: str) -> None:
    history = [Turn("安徽2021年新增多少家省级科技特派员工作站?", "50家")]
    assert rewrite_followup(follow_up, history, fake_service.index.documents) == expected


def test_a_full_question_is_not_rewritten(fake_service: RagService) -> None:
    history = [Turn("安徽2021年新增多少家省级科技特派员工作站?")]
    question = "陕西省2022年技术合同成交额目标是多少?"
    assert rewrite_followup(question, history, fake_service.index.documents) == question


def test_ask_reports_timings_and_respects_top_k(fake_service: RagService) -> None:
    answer = fake_service.ask("陕西省2022年技术合同成交额目标是多少?", top_k=3)
    assert answer.answer == SHAANXI_ANSWER
    assert len(answer.hits) == 3
    assert set(answer.timings_ms) >= {"scope", "retrieve", "answer", "total"}


def test_uncited_numbers_are_withheld(
    fake_service: RagService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.records import Answer

    def lying(question: str, *args: object, **kwargs: object) -> Answer:
        return Answer(question, "9999亿元", False, ())

    monkeypatch.setattr(fake_service, "answerer", lying)
    answer = fake_service.ask("陕西省2022年技术合同成交额目标是多少?")
    assert answer.refused and "9999" not in answer.answer


def test_the_answerer_is_chosen_by_its_setting(settings: Settings) -> None:
    from rag.answer.answerer import make_answerer
    from rag.answer.extractive import answer_question
    from rag.config import load_settings

    assert RagService(settings, FakeEmbedder()).answerer is answer_question
    with pytest.raises(ValueError, match="answerer must be one of extractive; got 'generator'"):
        make_answerer("generator")
    with pytest.raises(InputError, match="answerer must be extractive; got 'generator'"):
        load_settings(env={"RAG_ANSWERER": "generator"})


def test_load_or_build_builds_from_seeds_when_missing(settings: Settings) -> None:
    service = RagService(settings, FakeEmbedder())
    service.load_or_build()
    assert len(service.index.documents) == 5


def test_stale_seed_index_is_rebuilt(fake_service: RagService) -> None:
    changed = fake_service.settings.replace(chunk_max_chars=300)
    service = RagService(changed, FakeEmbedder())
    service.load_or_build()
    assert service.index.manifest["params"]["chunk_max_chars"] == 300


def test_stale_index_of_user_documents_is_refused(settings: Settings, tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "plan.txt").write_text("一、总体要求\n1.新增高新技术企业100家。\n", encoding="utf-8")
    RagService(settings, FakeEmbedder()).ingest([own])
    stale = RagService(settings.replace(chunk_max_chars=300), FakeEmbedder())
    with pytest.raises(IndexMismatchError, match="outside"):
        stale.load_or_build()


def test_the_server_factory_pays_the_first_query_cost_before_serving(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # jieba's dictionary and torch's first pass made the first user's answer take ~0.75 s
    from embeddings import embedder as embedder_module
    from rag.server.app import default_service_factory

    queries: list[str] = []

    class CountingEmbedder(FakeEmbedder):
        def embed_queries(self, texts: list[str]) -> np.ndarray:
            queries.extend(texts)
            return super().embed_queries(texts)

    monkeypatch.setattr(embedder_module, "load_embedder", lambda s: CountingEmbedder())
    service = default_service_factory(settings)
    assert len(service.index.chunks) > 100  # built from the seeds
    assert queries == ["科技工作要点"]


def test_a_lone_surrogate_is_a_readable_input_error(settings: Settings) -> None:
    with pytest.raises(InputError, match="lone surrogate at 0"):
        validate_question("\ud800陕西", settings)


def test_an_unreadable_index_is_not_replaced_by_a_smaller_one(
    settings: Settings, tmp_path: Path
) -> None:
    service = RagService(settings, FakeEmbedder())
    service.ingest([SEEDS])
    current = service.kb.generations.current()
    one = tmp_path / "one"
    one.mkdir()
    (one / "x.txt").write_text(
        "青山市2031年科技工作要点\n一、主要目标\n新增光谷企业50家。", "utf-8"
    )
    # damaged vectors: the next ingest rebuilds from the stored documents, dropping none
    (current / "chunks.jsonl").write_text("{", encoding="utf-8")
    assert RagService(settings, FakeEmbedder()).ingest([one]).documents == 6
    # stored documents damaged too, no intact generation lists them: it must not drop them
    damaged = service.kb.generations.current()
    (damaged / "documents.json").write_text("[]", encoding="utf-8")
    (damaged / "chunks.jsonl").write_text("{", encoding="utf-8")
    # (the rebuild did not keep the damaged generation as its fallback)
    assert service.kb.generations.pointer().previous is None  # type: ignore[union-attr]
    with pytest.raises(IndexMismatchError, match="does not include"):
        RagService(settings, FakeEmbedder()).ingest([one])
    # with every listed document included, it rebuilds
    report = RagService(settings, FakeEmbedder()).ingest([SEEDS, one])
    assert report.documents == 6


def test_a_running_service_sees_what_another_process_ingested(
    settings: Settings, tmp_path: Path
) -> None:
    settings = settings.replace(reload_check_seconds=0.0)
    serving = RagService(settings, FakeEmbedder())
    serving.ingest([SEEDS])
    before = serving.ask("青山市2031年新增光谷企业多少家?")
    assert before.refused
    one = tmp_path / "one"
    one.mkdir()
    plan = "青山市2031年科技工作要点\n一、主要目标\n全市新增光谷企业50家。"
    (one / "qingshan.txt").write_text(plan, encoding="utf-8")
    # `rag ingest` in another process: its own service over the same data directory
    RagService(settings, FakeEmbedder()).ingest([one])
    after = serving.ask("青山市2031年新增光谷企业多少家?")
    assert not after.refused and after.answer.endswith("50家")
    assert len(serving.documents()) == 6
    # a damaged generation is not adopted: the last good index keeps answering
    current = serving.kb.generations.current()
    (current / "chunks.jsonl").write_text("{", encoding="utf-8")
    (serving.kb.generations.root / "CURRENT").touch()
    assert not serving.refresh()
    assert not serving.ask("青山市2031年新增光谷企业多少家?").refused
