"""Consistency checks for the development question set ``tests/data/dev_questions.jsonl``.

The set is hand-written against the seed documents in ``seeds/``.  These tests make sure that
every question is well-formed and that every gold value can be checked against the source text:

* evidence strings are verbatim, single-line and unique substrings of their seed file(s);
* gold answers of numeric / entity / paraphrase questions occur verbatim in their evidence;
* list items occur in the evidence; compare values occur in the respective files;
* which_doc answers (region names or document titles) occur verbatim in the named file.

No normalisation of any kind is applied: all comparisons are exact substring checks.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "seeds"
DATA_FILE = Path(__file__).resolve().parent / "data" / "dev_questions.jsonl"

TYPES = {"numeric", "entity", "list", "paraphrase", "which_doc", "compare", "unanswerable"}
# Types whose gold answers must appear verbatim inside one of the evidence strings.
SPAN_TYPES = {"numeric", "entity", "paraphrase"}
MIN_TOTAL = 100
MIN_PER_TYPE = {"unanswerable": 20, "paraphrase": 15}
MIN_PER_DOC = 15

REQUIRED: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "question": str,
    "answerable": bool,
    "answers": list,
    "doc": (str, list),
    "evidence": list,
    "type": str,
}


def _raw_lines() -> list[str]:
    return DATA_FILE.read_text(encoding="utf-8").splitlines()


def _load() -> list[dict[str, Any]]:
    return [json.loads(line) for line in _raw_lines()]


def _seed_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(SEED_DIR.glob("*.txt"))}


LINES = _raw_lines()
QUESTIONS = _load()
SEEDS = _seed_texts()
BY_TYPE: dict[str, list[dict[str, Any]]] = {}
for _q in QUESTIONS:
    BY_TYPE.setdefault(_q["type"], []).append(_q)


def _docs(q: dict[str, Any]) -> list[str]:
    doc = q["doc"]
    return [doc] if isinstance(doc, str) else list(doc)


def _params(types: set[str] | None = None) -> list[Any]:
    return [pytest.param(q, id=q["id"]) for q in QUESTIONS if types is None or q["type"] in types]


def test_seed_files_present() -> None:
    assert len(SEEDS) == 5, sorted(SEEDS)


@pytest.mark.parametrize("lineno", range(len(LINES)))
def test_line_parses(lineno: int) -> None:
    line = LINES[lineno]
    assert line.strip(), f"blank line {lineno + 1}"
    obj = json.loads(line)
    assert isinstance(obj, dict)


@pytest.mark.parametrize("q", _params())
def test_fields_and_types(q: dict[str, Any]) -> None:
    for field, typ in REQUIRED.items():
        assert field in q, f"missing {field}"
        assert isinstance(q[field], typ), f"{field} has type {type(q[field]).__name__}"
    assert q["type"] in TYPES
    assert q["question"].strip() and q["id"].strip()
    assert all(isinstance(a, str) and a.strip() for a in q["answers"])
    assert all(isinstance(e, str) and e.strip() for e in q["evidence"])
    assert len(set(q["answers"])) == len(q["answers"]), "duplicate answers"
    docs = _docs(q)
    assert all(isinstance(d, str) for d in docs)
    for d in docs:
        assert d in SEEDS, f"unknown doc {d}"
    assert len(set(docs)) == len(docs)

    if q["type"] == "unanswerable":
        assert q["answerable"] is False
        assert q["answers"] == []
        assert len(docs) <= 1
    else:
        assert q["answerable"] is True
        assert q["answers"], "answerable question without answers"
        assert q["evidence"], "answerable question without evidence"
        assert docs, "answerable question without doc"

    if q["type"] == "list":
        assert isinstance(q.get("items"), list) and len(q["items"]) >= 2
        assert all(isinstance(i, str) and i for i in q["items"])
    else:
        assert "items" not in q
    if q["type"] == "compare":
        assert isinstance(q["doc"], list) and len(q["doc"]) >= 2
        assert isinstance(q.get("per_doc"), dict)
    else:
        assert "per_doc" not in q


def test_type_counts() -> None:
    counts = Counter(q["type"] for q in QUESTIONS)
    assert len(QUESTIONS) >= MIN_TOTAL, counts
    assert set(counts) == TYPES, counts
    for typ, minimum in MIN_PER_TYPE.items():
        assert counts[typ] >= minimum, counts


def test_ids_unique() -> None:
    dup = [k for k, v in Counter(q["id"] for q in QUESTIONS).items() if v > 1]
    assert not dup


def test_questions_unique() -> None:
    dup = [k for k, v in Counter(q["question"] for q in QUESTIONS).items() if v > 1]
    assert not dup


def test_documents_evenly_covered() -> None:
    per_doc = Counter(d for q in QUESTIONS for d in _docs(q))
    for name in SEEDS:
        assert per_doc[name] >= MIN_PER_DOC, per_doc
    # every file also has answerable (non-compare) questions of its own
    single = Counter(q["doc"] for q in QUESTIONS if q["answerable"] and isinstance(q["doc"], str))
    for name in SEEDS:
        assert single[name] >= 10, single


@pytest.mark.parametrize("q", _params())
def test_evidence_verbatim_and_unique(q: dict[str, Any]) -> None:
    docs = _docs(q)
    for ev in q["evidence"]:
        assert "\n" not in ev and "\r" not in ev, f"evidence spans a line break: {ev!r}"
        assert len(ev) >= 6, f"evidence too short to be unique: {ev!r}"
        hits = {d: SEEDS[d].count(ev) for d in docs}
        assert any(hits.values()), f"evidence not found in {docs}: {ev!r}"
        for d, n in hits.items():
            assert n <= 1, f"evidence occurs {n} times in {d}: {ev!r}"


@pytest.mark.parametrize("q", _params(SPAN_TYPES))
def test_gold_answers_in_evidence(q: dict[str, Any]) -> None:
    for ans in q["answers"]:
        assert any(ans in ev for ev in q["evidence"]), f"{ans!r} not in evidence"


@pytest.mark.parametrize("q", _params({"list"}))
def test_list_items_in_evidence(q: dict[str, Any]) -> None:
    assert len(set(q["items"])) == len(q["items"])
    for item in q["items"]:
        assert any(item in ev for ev in q["evidence"]), f"item {item!r} not in evidence"


@pytest.mark.parametrize("q", _params({"compare"}))
def test_compare_per_doc(q: dict[str, Any]) -> None:
    per_doc = q["per_doc"]
    assert set(per_doc) == set(q["doc"]), "per_doc keys must match doc"
    for d, value in per_doc.items():
        assert isinstance(value, str) and value
        assert value in SEEDS[d], f"{value!r} not in {d}"
        assert any(value in ev and ev in SEEDS[d] for ev in q["evidence"]), (
            f"no evidence from {d} contains {value!r}"
        )
        assert value in q["answers"]
    assert set(q["answers"]) == set(per_doc.values())


@pytest.mark.parametrize("q", _params({"which_doc"}))
def test_which_doc_answers_in_doc(q: dict[str, Any]) -> None:
    (doc,) = _docs(q)
    for ans in q["answers"]:
        assert ans in SEEDS[doc], f"{ans!r} does not occur in {doc}"
