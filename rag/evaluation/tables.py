"""The evaluation's tables: metrics by configuration, question type and tag, the evidence
model's reliability, and the questions answered wrong. A table is (header, rows) of strings,
rendered by `rag eval` on the terminal and by report.py in Markdown and HTML."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag.evaluation.evaluate import Run, reliability
from rag.evaluation.question_sets import Question

# (Summary field, label, kind): kind "share" prints 0.000, "ms" one decimal, "int" as is
SUMMARY_ROWS: tuple[tuple[str, str, str], ...] = (
    ("questions", "questions", "int"),
    ("accuracy", "answer accuracy (answerable)", "share"),
    ("refusal_recall", "refusal recall (unanswerable)", "share"),
    ("false_refusal", "false-refusal rate (answerable)", "share"),
    ("hit1", "hit@1", "share"),
    ("hit5", "hit@5", "share"),
    ("hit10", "hit@10", "share"),
    ("mrr", "MRR@10", "share"),
    ("citation_accuracy", "citation accuracy", "share"),
    ("violations", "invariant violations", "int"),
    ("withheld", "withheld answers", "int"),
    ("errors", "errors", "int"),
    ("latency_p50", "ask latency p50 (ms)", "ms"),
    ("latency_p95", "ask latency p95 (ms)", "ms"),
    ("latency_max", "ask latency max (ms)", "ms"),
)
TYPE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("questions", "n", "int"),
    ("correct", "correct", "share"),
    ("false_refusal", "refused (answerable)", "share"),
    ("hit1", "hit@1", "share"),
    ("hit5", "hit@5", "share"),
    ("hit10", "hit@10", "share"),
    ("mrr", "MRR", "share"),
    ("citation_accuracy", "citations", "share"),
    ("violations", "violations", "int"),
    ("latency_p50", "p50 ms", "ms"),
    ("latency_p95", "p95 ms", "ms"),
)
Table = tuple[list[str], list[list[str]]]


def fmt(value: Any, kind: str) -> str:
    """A metric value as the tables show it; "–" where there was nothing to measure."""
    if value is None:
        return "–"
    if kind == "share":
        return f"{value:.3f}"
    if kind == "ms":
        return f"{value:.1f}"
    return str(value)


def summary_table(runs: Sequence[Run]) -> Table:
    """Metrics down, configurations across: the side-by-side comparison."""
    header = ["metric", *(r.config.name for r in runs)]
    rows = [
        [label, *(fmt(getattr(r.summary, key), kind) for r in runs)]
        for key, label, kind in SUMMARY_ROWS
    ]
    return header, rows


def type_table(run: Run) -> Table:
    """Question types down, metrics across, for one configuration.

    `correct` is answer accuracy, except for unanswerable questions where it is refusal recall.
    """
    header = ["type", *(label for _, label, _ in TYPE_COLUMNS)]
    rows = [
        [qtype, *(fmt(getattr(s, key), kind) for key, _, kind in TYPE_COLUMNS)]
        for qtype, s in run.by_type.items()
    ]
    return header, rows


def tag_table(run: Run) -> Table:
    """Question tags (review_year, other_place, …) down, metrics across."""
    header = ["tag", *(label for _, label, _ in TYPE_COLUMNS)]
    rows = [
        [tag, *(fmt(getattr(s, key), kind) for key, _, kind in TYPE_COLUMNS)]
        for tag, s in run.by_tag.items()
    ]
    return header, rows


def reliability_table(run: Run) -> Table:
    """Bins of the evidence model's confidence and how often the answer was right in each."""
    header = ["mean confidence", "share correct", "questions"]
    rows = [[f"{c:.3f}", f"{ok:.3f}", str(n)] for c, ok, n in reliability(run.results)]
    return header, rows


def _gold(q: Question) -> str:
    if not q.answerable:
        return "(refuse)"
    if q.per_doc:
        return " / ".join(v for _, v in q.per_doc)
    return " / ".join(q.items or q.answers)


def misses_table(run: Run, limit: int = 200) -> Table:
    """The questions a configuration got wrong, with what it said."""
    header = ["id", "type", "question", "gold", "got"]
    rows = []
    for r in run.results:
        if r.correct:
            continue
        got = r.error or ("(refused) " if r.refused else "") + r.answer
        got = got.replace("\n", " ")
        rows.append(
            [
                r.question.id,
                r.question.type,
                r.question.question,
                _gold(r.question),
                got[:120] + ("…" if len(got) > 120 else ""),
            ]
        )
    return header, rows[:limit]
