"""Scoring rules: answer containment, list recall, hit@k, MRR, citation overlap, percentiles."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from rag.evaluation.question_sets import Question
from rag.records import CITATION_MARK, Citation, Document, Hit

LIST_RECALL = 0.5

# --- answers --------------------------------------------------------------------------------

# after NFKC: white space and punctuation that only changes how a value is written
_PUNCT = re.compile(r"[\s,.。、;:!?\"'“”‘’「」『』《》〈〉()【】\[\]·…—]")


def normalise(text: str) -> str:
    """Text for containment: NFKC, case-folded, citation markers and punctuation dropped.

    A decimal point between digits stays, so 2.5 never matches 25.
    """
    text = unicodedata.normalize("NFKC", CITATION_MARK.sub("", text)).casefold()
    text = re.sub(r"(?<=\d)\.(?=\d)", "\x00", text)
    return _PUNCT.sub("", text).replace("\x00", ".")


def contains(answer: str, gold: str) -> bool:
    """Normalised containment that never lets a figure match inside a longer one (10 in 100)."""
    hay, needle = normalise(answer), normalise(gold)
    if not needle:
        return False
    start = hay.find(needle)
    while start >= 0:
        end = start + len(needle)
        before = hay[start - 1] if start else ""
        after = hay[end : end + 2]
        digit_before = needle[0].isdigit() and (before.isdigit() or before == ".")
        digit_after = needle[-1].isdigit() and (
            after[:1].isdigit() or (after[:1] == "." and after[1:2].isdigit())
        )
        if not digit_before and not digit_after:
            return True
        start = hay.find(needle, start + 1)
    return False


def item_recall(answer: str, items: Sequence[str]) -> float:
    """Share of the list items the answer contains."""
    return sum(contains(answer, i) for i in items) / len(items) if items else 0.0


def answer_correct(question: Question, answer: str, refused: bool) -> bool:
    """The issue's rule: refusal for unanswerable; containment, item recall or every value."""
    if not question.answerable:
        return refused
    if refused:
        return False
    if question.type == "list" and question.items:
        return item_recall(answer, question.items) >= LIST_RECALL
    if question.type == "compare":
        values = [v for _, v in question.per_doc] or list(question.answers)
        return all(contains(answer, v) for v in values)
    return any(contains(answer, g) for g in question.answers)


# --- retrieval and citations ----------------------------------------------------------------


def doc_ids_of(question: Question, documents: Mapping[str, Document]) -> set[str]:
    """The indexed doc_ids the question names (by doc_id, source or file name)."""
    names = set(question.docs)
    return {
        d.doc_id
        for d in documents.values()
        if names & {d.doc_id, d.source, Path(d.source).name, Path(d.source).stem}
    }


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def first_hit_rank(hits: Sequence[Hit], doc_ids: set[str], evidence: Sequence[str]) -> int | None:
    """Rank (from 1) of the first passage of a gold document containing any evidence string."""
    wanted = [_squash(e) for e in evidence if e.strip()]
    for rank, hit in enumerate(hits, 1):
        if hit.chunk.doc_id in doc_ids and any(e in _squash(hit.chunk.text) for e in wanted):
            return rank
    return None


def hit_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose first gold passage is within the top k."""
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k}")
    return sum(r is not None and r <= k for r in ranks) / len(ranks) if ranks else 0.0


def mrr(ranks: Sequence[int | None]) -> float:
    """Mean reciprocal rank; a question with no gold passage contributes 0."""
    return sum(1.0 / r for r in ranks if r) / len(ranks) if ranks else 0.0


def evidence_spans(
    question: Question, documents: Mapping[str, Document]
) -> list[tuple[str, int, int]]:
    """Every occurrence of every evidence string in the question's documents."""
    spans = []
    for doc_id in sorted(doc_ids_of(question, documents)):
        text = documents[doc_id].text
        for ev in question.evidence:
            start = text.find(ev) if ev else -1
            while start >= 0:
                spans.append((doc_id, start, start + len(ev)))
                start = text.find(ev, start + 1)
    return spans


def citation_hits(citations: Iterable[Citation], spans: Sequence[tuple[str, int, int]]) -> bool:
    """Whether a cited quote overlaps a gold evidence span of the same document."""
    return any(
        c.doc_id == doc and c.start < end and start < c.end
        for c in citations
        for doc, start, end in spans
    )


def quote_violations(citations: Iterable[Citation], documents: Mapping[str, Document]) -> list[str]:
    """Citations whose quote is not the document text at its offsets."""
    bad = []
    for c in citations:
        doc = documents.get(c.doc_id)
        if doc is None:
            bad.append(f"quote cites unknown document {c.doc_id!r}")
        elif doc.text[c.start : c.end] != c.quote:
            bad.append(f"quote at {c.doc_id}:{c.start}-{c.end} differs from the document text")
    return bad


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile with linear interpolation (numpy's default); 0 for no values."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100; got {p}")
    return float(np.percentile(np.asarray(values, dtype=np.float64), p)) if values else 0.0
