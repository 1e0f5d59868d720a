"""Evaluation: question-set parsing, scoring arithmetic on tiny cases, reports, `rag eval`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from rag import cli
from rag.errors import InputError
from rag.evaluation.evaluate import Config, Result, check_floors, evaluate, parse_config, summarise
from rag.evaluation.metrics import (
    answer_correct,
    citation_hits,
    contains,
    evidence_spans,
    first_hit_rank,
    hit_at,
    item_recall,
    mrr,
    normalise,
    percentile,
    quote_violations,
)
from rag.evaluation.question_sets import Question, load_questions, parse_question
from rag.evaluation.report import write_report
from rag.records import Chunk, Citation, Document, Hit
from rag.service import RagService

DEV = Path(__file__).resolve().parent / "data" / "dev_questions.jsonl"
# written apart from the engine and never tuned on: holdout by the author before any tuning,
# blind by a writer who never saw the engine (its first run exposed misses that were then
# fixed in the engine, so it is reported as seen), blind2 the same way and never tuned on
HELD_OUT = [DEV.with_name(f"{n}_questions.jsonl") for n in ("holdout", "blind", "blind2")]
SEEDS_DIR = DEV.parent.parent.parent / "seeds"


def question(**fields: Any) -> Question:
    base: dict[str, Any] = {
        "id": "q1",
        "question": "问题?",
        "answerable": True,
        "answers": ["500项"],
        "doc": "a.txt",
        "evidence": ["项目500项左右"],
        "type": "numeric",
    }
    return parse_question({**base, **fields})


# --- answers --------------------------------------------------------------------------------


def test_normalise_folds_width_case_punctuation_and_markers() -> None:
    assert normalise("Ｒ＆Ｄ投入，１０,０００家。【2】") == "r&d投入10000家"
    assert normalise("增长 2.5%") == "增长2.5%"


@pytest.mark.parametrize(
    ("answer", "gold", "expected"),
    [
        ("组织实施项目500项左右【1】", "500项", True),
        ("组织实施项目1500项", "500项", False),
        ("增长8%左右", "8%", True),
        ("增长18%", "8%", False),
        ("达到2.5亿元", "25亿", False),
        ("达到12.5亿元", "2.5亿", False),
        ("达到2.5亿元", "2", False),
        ("总数达到10,000家", "10000家", True),
        ("全社会R＆D投入", "r&d投入", True),
        ("新增本土院士1名", "1名", True),
        ("", "500", False),
        ("500", "", False),
    ],
)
def test_contains(answer: str, gold: str, expected: bool) -> None:
    assert contains(answer, gold) is expected


def test_list_questions_need_half_of_the_items() -> None:
    q = question(type="list", answers=["甲、乙、丙、丁"], items=["甲", "乙", "丙", "丁"])
    assert item_recall("甲和乙", q.items) == 0.5
    assert answer_correct(q, "甲和乙", refused=False)
    assert not answer_correct(q, "只有甲", refused=False)


def test_compare_questions_need_every_per_doc_value() -> None:
    q = question(
        type="compare",
        answers=["200家", "100家"],
        doc=["a.txt", "b.txt"],
        per_doc={"a.txt": "200家", "b.txt": "100家"},
    )
    assert answer_correct(q, "甲省200家;乙省100家", refused=False)
    assert not answer_correct(q, "甲省200家", refused=False)


@pytest.mark.parametrize(
    ("answerable", "refused", "expected"),
    [(False, True, True), (False, False, False), (True, True, False)],
)
def test_refusals(answerable: bool, refused: bool, expected: bool) -> None:
    q = question(answerable=answerable, answers=["500项"] if answerable else [])
    assert answer_correct(q, "500项", refused) is expected


# --- retrieval and citations ----------------------------------------------------------------


def _hit(doc_id: str, text: str) -> Hit:
    chunk = Chunk(f"{doc_id}:0", doc_id, f"{doc_id}.txt", "s", (), 0, len(text), text, text)
    return Hit(chunk, 1.0)


def test_first_hit_rank_needs_gold_doc_and_evidence() -> None:
    hits = [_hit("b", "项目500项左右"), _hit("a", "别的内容"), _hit("a", "项目500项\n左右。")]
    assert first_hit_rank(hits, {"a"}, ["项目500项左右"]) == 3
    assert first_hit_rank(hits, {"c"}, ["项目500项左右"]) is None


def test_hit_at_k_and_mrr() -> None:
    ranks = [1, 3, None, 6]
    assert [hit_at(ranks, k) for k in (1, 5, 10)] == [0.25, 0.5, 0.75]
    assert mrr(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 6) / 4)
    assert hit_at([], 5) == 0.0
    with pytest.raises(ValueError, match="k must be at least 1; got 0"):
        hit_at(ranks, 0)


def test_citation_overlap_and_quote_invariant() -> None:
    doc = Document("a", "a.txt", "前言。项目500项左右。结尾。", "标题", "0")
    q = question(evidence=["项目500项左右"])
    spans = evidence_spans(q, {"a": doc})
    assert spans == [("a", 3, 11)]
    inside = Citation("a", "a.txt", "标题", (), 5, 9, doc.text[5:9])
    before = Citation("a", "a.txt", "标题", (), 0, 3, doc.text[0:3])
    forged = Citation("a", "a.txt", "标题", (), 0, 3, "不是原文")
    assert citation_hits([before, inside], spans)
    assert not citation_hits([before], spans)
    assert quote_violations([inside, before], {"a": doc}) == []
    assert quote_violations([forged], {"a": doc}) == [
        "quote at a:0-3 differs from the document text"
    ]


def test_percentile_interpolates() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([], 50) == 0.0
    with pytest.raises(ValueError, match=r"within 0\.\.100; got 101"):
        percentile([1.0], 101)


def _result(q: Question, refused: bool, latency: float, rank: int | None = None) -> Result:
    correct = answer_correct(q, "" if refused else "500项", refused)
    return Result("c", q, "500项", refused, "numeric", (), (), rank, correct, None, (), latency)


def test_summary_refusal_rates() -> None:
    ok = question()
    silent = question(id="u", answerable=False, answers=[], evidence=[], type="unanswerable")
    results = [
        _result(ok, False, 10, 1),
        _result(ok, False, 20, 2),
        _result(ok, False, 30, None),
        _result(ok, True, 40, 7),
        _result(silent, True, 50),
        _result(silent, False, 60),
    ]
    s = summarise(results)
    assert (s.accuracy, s.refusal_recall, s.false_refusal) == (0.75, 0.5, 0.25)
    assert (s.hit1, s.hit5, s.hit10) == (0.25, 0.5, 0.75)
    assert s.latency_max == 60 and s.latency_p50 == 35
    missed = check_floors(s, {"min_accuracy": 0.7, "min_refusal": 0.9, "max_false_refusal": 0.2})
    assert missed == [
        "refusal recall must be at least 0.900; got 0.500",
        "false-refusal rate must be at most 0.200; got 0.250",
    ]


# --- question sets and configurations -------------------------------------------------------


def test_malformed_lines_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    good = json.loads(DEV.read_text(encoding="utf-8").splitlines()[0])
    lines = [
        json.dumps({**good, "reviewer": "wang"}, ensure_ascii=False).encode(),
        b"{not json",
        b"",
        json.dumps({**good, "id": "x2", "answerable": "yes"}).encode(),
        json.dumps({**good, "id": "x3", "type": "opinion"}).encode(),
        json.dumps(good).encode(),
        b'{"id": "\xff"}',
        json.dumps({**good, "id": "x4"}).encode(),
    ]
    path = tmp_path / "q.jsonl"
    path.write_bytes(b"\n".join(lines))
    questions, problems = load_questions(path)
    assert [q.id for q in questions] == [good["id"], "x4"]
    assert questions[0].extra == {"reviewer": "wang"}
    assert [n for n, _ in problems] == [2, 4, 5, 6, 7]
    assert "answerable must be true or false; got 'yes'" in problems[1][1]
    assert "type must be one of" in problems[2][1]
    assert "appears again" in problems[3][1]
    assert "UTF-8" in problems[4][1]


def test_missing_question_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read question set"):
        load_questions(tmp_path / "absent.jsonl")


@pytest.mark.parametrize(
    ("spec", "overrides"),
    [
        ("bm25", {"fusion": "bm25"}),
        ("hybrid", {"fusion": "weighted"}),
        ("weighted:0.6", {"fusion": "weighted", "bm25_weight": 0.6, "dense_weight": 0.4}),
        ("rrf:30", {"fusion": "rrf", "rrf_k": 30}),
    ],
)
def test_parse_config(spec: str, overrides: dict[str, Any]) -> None:
    assert dict(parse_config(spec).overrides) == overrides


@pytest.mark.parametrize("spec", ["bm2", "weighted:1.5", "dense:3", "rrf:x", "rrf:0"])
def test_parse_config_rejects(spec: str) -> None:
    with pytest.raises(InputError, match=re.escape(spec)):
        parse_config(spec)


# --- runs and reports over the seeds (fake embedder) ----------------------------------------


def _sample(n_per_type: int = 2) -> list[Question]:
    questions, _ = load_questions(DEV)
    picked: dict[str, list[Question]] = {}
    for q in questions:
        if len(picked.setdefault(q.type, [])) < n_per_type:
            picked[q.type].append(q)
    return [q for group in picked.values() for q in group]


def test_report_files_are_written(fake_service: RagService, tmp_path: Path) -> None:
    questions = _sample()
    runs = evaluate(fake_service, questions, [parse_config("hybrid"), parse_config("bm25")])
    assert [r.config.name for r in runs] == ["hybrid", "bm25"]
    assert all(len(r.results) == len(questions) for r in runs)
    assert runs[0].summary.violations == 0
    written = write_report(runs, tmp_path / "out", {"question set": "sample"}, [(3, "bad")])
    names = {p.name for p in written}
    assert {"results.jsonl", "report.md", "report.html", "summary.json"} <= names
    assert {"accuracy_by_type.png", "latency.png", "hit_at_k.png", "reliability.png"} <= names
    rows = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2 * len(questions)
    assert {"answer", "citations", "hits", "correct", "rank"} <= set(json.loads(rows[0]))
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4
    assert "line 3: bad" in page
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "| answer accuracy (answerable) |" in md and "## bm25: by question type" in md


def test_cli_eval_exits_1_when_a_floor_is_missed(
    fake_service: RagService,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(
        "rag.cli.common.open_service", lambda settings, need_index=True: fake_service
    )
    lines = DEV.read_text(encoding="utf-8").splitlines()[:3]
    wrong = {**json.loads(lines[0]), "id": "wrong", "answers": ["不存在的答案"]}
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join([*lines, json.dumps(wrong, ensure_ascii=False)]), encoding="utf-8")
    out = tmp_path / "out"
    args = ["eval", str(path), "--out", str(out), "--compare", "hybrid,rrf"]
    assert cli.main([*args, "--min-accuracy", "0.5"]) == 0
    assert cli.main([*args, "--min-accuracy", "0.9"]) == 1
    captured = capsys.readouterr()
    assert "answer accuracy must be at least 0.900; got 0.750" in captured.err
    assert "rrf" in captured.out and (out / "report.html").exists()
    assert cli.main(["eval", str(path), "--compare", "nope"]) == 2


# --- the dev set through the real system ----------------------------------------------------


@pytest.mark.slow
def test_dev_set_holds_the_floors(real_service: RagService) -> None:
    questions, problems = load_questions(DEV)
    assert not problems
    (run,) = evaluate(real_service, questions, [Config(real_service.settings.fusion)])
    s = run.summary
    assert s.violations == 0, [r.violations for r in run.results if r.violations]
    assert s.errors == 0
    # just under the figures measured (accuracy 1.000, refusal recall 1.000, false refusals 0.000,
    # hit@5 0.989): a single new miss passes, a second fails. Raise them as the engine improves,
    # never lower them to make a change pass
    assert s.accuracy is not None and s.accuracy >= 0.98
    assert s.refusal_recall is not None and s.refusal_recall >= 0.96
    assert s.false_refusal is not None and s.false_refusal <= 0.02
    assert s.hit5 is not None and s.hit5 >= 0.98


@pytest.mark.parametrize("path", HELD_OUT, ids=lambda p: p.stem)
def test_held_out_evidence_is_verbatim(path: Path) -> None:
    questions, problems = load_questions(path)
    assert not problems and len(questions) >= 30
    texts = {p.name: p.read_text(encoding="utf-8") for p in SEEDS_DIR.glob("*.txt")}
    for q in questions:
        for ev in q.evidence:
            assert any(ev in texts[d] for d in q.docs), (q.id, ev)
        for d, value in q.per_doc:
            assert value in texts[d], (q.id, value)


@pytest.mark.slow
@pytest.mark.parametrize("path", HELD_OUT, ids=lambda p: p.stem)
def test_held_out_sets_hold_the_floors(real_service: RagService, path: Path) -> None:
    questions, _ = load_questions(path)
    (run,) = evaluate(real_service, questions, [Config(real_service.settings.fusion)])
    s = run.summary
    assert s.violations == 0 and s.errors == 0
    wrong = [(r.question.id, r.answer) for r in run.results if r.correct is False]
    # floors the issue sets for the dev set; these sets are smaller, so one miss is 0.03
    assert s.accuracy is not None and s.accuracy >= 0.9, wrong
    assert s.refusal_recall is not None and s.refusal_recall >= 0.85, wrong
    assert s.false_refusal is not None and s.false_refusal <= 0.1, wrong
