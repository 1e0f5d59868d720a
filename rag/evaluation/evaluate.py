"""Runs of a question set through the service under named configurations, and their summaries.

Every question goes through `RagService.ask` (what the API serves) and `RagService.search`
(for hit@k and MRR), so the figures describe the product, not a test double of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from rag.answer.extractive import number_violations
from rag.config import Settings
from rag.errors import InputError, RagError
from rag.evaluation.metrics import (
    answer_correct,
    citation_hits,
    doc_ids_of,
    evidence_spans,
    first_hit_rank,
    hit_at,
    mrr,
    percentile,
    quote_violations,
)
from rag.evaluation.question_sets import QUESTION_TYPES, Question
from rag.records import Citation, Hit
from rag.service import RagService

SEARCH_K = 10
_WARMUP = "科技工作要点提出了哪些重点任务?"


# --- configurations -------------------------------------------------------------------------

_FUSIONS = {
    "bm25": "bm25",
    "dense": "dense",
    "hybrid": "weighted",
    "weighted": "weighted",
    "rrf": "rrf",
}


@dataclass(frozen=True)
class Config:
    """A named set of query-time overrides: fusion and its parameters."""

    name: str
    overrides: tuple[tuple[str, Any], ...] = ()

    def apply(self, settings: Settings) -> Settings:
        """The settings with this configuration's overrides."""
        return settings.replace(**dict(self.overrides)) if self.overrides else settings


def parse_config(spec: str) -> Config:
    """`bm25`, `dense`, `rrf`, `rrf:K`, `hybrid`/`weighted`, or `weighted:W` (bm25 weight W)."""
    name, _, param = spec.strip().partition(":")
    if name not in _FUSIONS:
        raise InputError(
            f"configuration must be one of {', '.join(sorted(_FUSIONS))} "
            f"(optionally weighted:W or rrf:K); got {spec!r}"
        )
    overrides: list[tuple[str, Any]] = [("fusion", _FUSIONS[name])]
    try:
        if param and _FUSIONS[name] == "weighted":
            weight = float(param)
            if not 0 <= weight <= 1:
                raise ValueError(weight)
            overrides += [("bm25_weight", weight), ("dense_weight", round(1 - weight, 6))]
        elif param and name == "rrf":
            k = int(param)
            if k < 1:
                raise ValueError(k)
            overrides.append(("rrf_k", k))
        elif param:
            raise ValueError(param)
    except ValueError as exc:
        raise InputError(
            f"configuration parameter must be a bm25 weight in 0..1 (weighted:W) or an rrf k "
            f"(rrf:K); got {spec!r}"
        ) from exc
    return Config(spec.strip(), tuple(overrides))


def parse_configs(specs: str) -> list[Config]:
    """Comma-separated configuration names, in order, without repeats."""
    names = list(dict.fromkeys(s.strip() for s in specs.split(",") if s.strip()))
    if not names:
        raise InputError(f"--compare needs at least one configuration; got {specs!r}")
    return [parse_config(n) for n in names]


# --- running --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What one configuration did with one question, and how it scored."""

    config: str
    question: Question
    answer: str
    refused: bool
    qtype: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    rank: int | None
    correct: bool
    citation_ok: bool | None
    violations: tuple[str, ...]
    latency_ms: float
    error: str | None = None
    withheld: bool = False
    confidence: float | None = None


@dataclass(frozen=True)
class Summary:
    """The metrics of a set of results; None where the set has nothing to measure."""

    questions: int
    answerable: int
    accuracy: float | None
    correct: float | None
    refusal_recall: float | None
    false_refusal: float | None
    hit1: float | None
    hit5: float | None
    hit10: float | None
    mrr: float | None
    citation_accuracy: float | None
    violations: int
    withheld: int
    errors: int
    latency_p50: float
    latency_p95: float
    latency_max: float


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def summarise(results: Sequence[Result]) -> Summary:
    """Every metric of the issue over the given results."""
    answerable = [r for r in results if r.question.answerable]
    unanswerable = [r for r in results if not r.question.answerable]
    ranks = [r.rank for r in answerable if r.question.evidence]
    cited = [r.citation_ok for r in answerable if r.citation_ok is not None]
    latencies = [r.latency_ms for r in results]
    return Summary(
        questions=len(results),
        answerable=len(answerable),
        accuracy=_share([r.correct for r in answerable]),
        correct=_share([r.correct for r in results]),
        refusal_recall=_share([r.refused for r in unanswerable]),
        false_refusal=_share([r.refused for r in answerable]),
        hit1=hit_at(ranks, 1) if ranks else None,
        hit5=hit_at(ranks, 5) if ranks else None,
        hit10=hit_at(ranks, 10) if ranks else None,
        mrr=mrr(ranks) if ranks else None,
        citation_accuracy=_share([bool(c) for c in cited]),
        violations=sum(len(r.violations) for r in results),
        withheld=sum(r.withheld for r in results),
        errors=sum(r.error is not None for r in results),
        latency_p50=percentile(latencies, 50),
        latency_p95=percentile(latencies, 95),
        latency_max=max(latencies, default=0.0),
    )


def summary_dict(summary: Summary) -> dict[str, Any]:
    """A Summary as a plain dict (field order kept)."""
    return {f.name: getattr(summary, f.name) for f in fields(summary)}


@dataclass(frozen=True)
class Run:
    """One configuration's results, overall summary and per-type summaries."""

    config: Config
    results: tuple[Result, ...]
    summary: Summary
    by_type: dict[str, Summary]
    by_tag: dict[str, Summary] = field(default_factory=dict)


def score_question(service: RagService, question: Question, config: str) -> Result:
    """Ask (timed) and search one question, and score both."""
    documents = service.index.documents
    began = time.perf_counter()
    try:
        # ask first: search would warm the query-vector cache and flatter ask's latency
        answer = service.ask(question.question)
        latency = (time.perf_counter() - began) * 1000
        hits = service.search(question.question, top_k=SEARCH_K)
    except RagError as exc:
        latency = (time.perf_counter() - began) * 1000
        # a question the service rejects counts as refused: it got no answer
        correct = answer_correct(question, "", True)
        return Result(
            config, question, "", True, "error", (), (), None, correct, None, (), latency, str(exc)
        )
    rank = first_hit_rank(hits, doc_ids_of(question, documents), question.evidence)
    spans = evidence_spans(question, documents)
    citation_ok = (
        citation_hits(answer.citations, spans)
        if question.answerable and not answer.refused and spans
        else None
    )
    violations = [f"number {n} is in no cited quote" for n in number_violations(answer)]
    violations += quote_violations(answer.citations, documents)
    return Result(
        config=config,
        question=question,
        answer=answer.answer,
        refused=answer.refused,
        qtype=answer.qtype,
        citations=answer.citations,
        hits=tuple(hits),
        rank=rank,
        correct=answer_correct(question, answer.answer, answer.refused),
        citation_ok=citation_ok,
        violations=tuple(violations),
        latency_ms=round(latency, 3),
        withheld=answer.withheld,
        confidence=answer.confidence,
    )


def evaluate(
    base: RagService,
    questions: Sequence[Question],
    configs: Sequence[Config],
    step: Callable[[], None] | None = None,
) -> list[Run]:
    """Every configuration over every question; the runs come back in the order given.

    The configurations share the base's embedder and index. They take turns question by
    question, so a burst of load on a shared machine slows them all alike instead of
    whichever one happened to be running.
    """
    if not questions:
        raise InputError("the question set has no valid question to run")
    services = [RagService(c.apply(base.settings), base.embedder, base.index) for c in configs]
    for service in services:
        service.ask(_WARMUP)
    results: list[list[Result]] = [[] for _ in configs]
    for question in questions:
        for config, service, done in zip(configs, services, results, strict=True):
            done.append(score_question(service, question, config.name))
            if step:
                step()
    types = [t for t in QUESTION_TYPES if any(q.type == t for q in questions)]
    tags = sorted({t for q in questions for t in tags_of(q)})
    return [
        Run(
            config,
            tuple(done),
            summarise(done),
            {t: summarise([r for r in done if r.question.type == t]) for t in types},
            {t: summarise([r for r in done if t in tags_of(r.question)]) for t in tags},
        )
        for config, done in zip(configs, results, strict=True)
    ]


def tags_of(question: Question) -> tuple[str, ...]:
    """The labels a question set gives a question (review_year, other_place, …)."""
    tags = question.extra.get("tags", [])
    return tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()


def reliability(results: Sequence[Result], bins: int = 5) -> list[tuple[float, float, int]]:
    """(mean confidence, share correct, count) per confidence bin of equal size: how far the
    evidence model's probability can be trusted on this set."""
    rated = sorted((r.confidence, r.correct) for r in results if r.confidence is not None)
    if not rated:
        return []
    size = max(1, -(-len(rated) // bins))
    out = []
    for i in range(0, len(rated), size):
        part = rated[i : i + size]
        out.append(
            (
                round(sum(c for c, _ in part) / len(part), 3),
                round(sum(ok for _, ok in part) / len(part), 3),
                len(part),
            )
        )
    return out


def check_floors(summary: Summary, floors: Mapping[str, float]) -> list[str]:
    """The floors (min_accuracy, min_refusal, max_false_refusal, ...) the summary misses."""
    rules = {
        "min_accuracy": ("answer accuracy", summary.accuracy, 1),
        "min_refusal": ("refusal recall", summary.refusal_recall, 1),
        "max_false_refusal": ("false-refusal rate", summary.false_refusal, -1),
        "min_hit5": ("hit@5", summary.hit5, 1),
    }
    missed = []
    for key, floor in floors.items():
        if key not in rules:
            raise ValueError(f"floor must be one of {', '.join(rules)}; got {key!r}")
        label, value, sign = rules[key]
        if value is None or (value - floor) * sign < 0:
            shown = "n/a" if value is None else f"{value:.3f}"
            word = "at least" if sign > 0 else "at most"
            missed.append(f"{label} must be {word} {floor:.3f}; got {shown}")
    return missed
