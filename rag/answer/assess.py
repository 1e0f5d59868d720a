"""Assessing candidate sentences: their period, whether they name the asked place, and the
calibrated evidence model's probability that they answer the question."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rag.answer.evidence import Candidate, EvidenceModel
from rag.answer.question import (
    Terms,
    classify,
    head_phrase,
    question_terms,
)
from rag.answer.spans import (
    Sentence,
    figures,
)
from rag.config import Settings
from rag.index.sentences import SentenceVectors
from rag.index.vectors import Vectors
from rag.lang.periods import (
    Period,
    Segment,
    document_years,
    period_at,
    period_conflict,
    question_period,
    sentence_period,
)
from rag.lang.places import Place, contains, find_places, place_of
from rag.records import Hit
from rag.retrieval.retrieve import Scope


@dataclass(frozen=True)
class Evidence:
    """What the answerer reads beyond the passages: when each passage speaks of, the sentence
    vectors and the question's vector (meaning), and the calibrated evidence model."""

    times: Mapping[str, list[Segment]] = field(default_factory=dict)
    vectors: SentenceVectors | None = None
    query: Vectors | None = None
    model: EvidenceModel | None = None


@dataclass(frozen=True)
class Scored:
    """A candidate sentence with its features, its period and the model's probability."""

    sentence: Sentence
    candidate: Candidate
    period: Period
    conflict: str | None
    probability: float


def assess(
    question: str,
    sentences: Sequence[Sentence],
    hits: Sequence[Hit],
    terms: Terms,
    evidence: Evidence,
    places: Sequence[Place] = (),
    years_only: bool = False,
) -> list[Scored]:
    """Every candidate sentence described, dated and scored; the most probable first.

    Without a model file the lexical score stands in for the probability (a bootstrap for
    `rag calibrate`, which fits the model from these same features). When the question names
    a place inside a document's region (合肥 of an 安徽 plan), `places` holds it: a sentence
    that names neither it nor a place inside it speaks of the region, and conflicts.
    """
    head = head_phrase(question)
    # a figure answers a numeric question (or a comparison), so the figure's own words are
    # its evidence; any other question is answered by a sentence, which stands for itself
    by_figure = classify(question) in {"numeric", "compare"}
    head_terms = question_terms(head, (), {}) if len(head) >= 2 else None
    rank_of = {h.chunk.chunk_id: n + 1 for n, h in enumerate(hits)}
    keys = [(s.doc_id, s.start, s.end) for s in sentences]
    cosines: list[float | None] = [None] * len(keys)
    if evidence.vectors is not None and evidence.query is not None:
        cosines = evidence.vectors.cosines(evidence.query, keys)
    candidates = []
    for s, cos in zip(sentences, cosines, strict=True):
        heading = " ".join(s.hit.chunk.section_path[-2:])
        head_cov = (
            head_terms.coverage(s.text + heading) if head_terms and head_terms.variants else 1.0
        )
        own = terms.coverage(s.text)
        candidates.append(
            Candidate(
                coverage=s.score,
                own_coverage=own,
                cosine=cos if cos is not None else 0.0,
                passage_score=s.hit.score,
                passage_rank=rank_of.get(s.hit.chunk.chunk_id, len(hits) + 1),
                head=head_cov,
                figure_coverage=(
                    max((f.local for f in figures(s, terms)), default=0.0) if by_figure else own
                ),
            )
        )
    asked = question_period(question)
    if (
        not by_figure
        and asked[0]
        and asked[2] is None
        and set(asked[0]) <= document_years(question)
    ):
        # 「山东2025年政府工作报告提到，…的是哪个平台」: the year names the document to read,
        # which says it in its review of 2024 as well as in its plans
        asked = ((), asked[1], asked[2])
    if years_only:
        # a comparison's half and stance may belong to one of its places only
        asked = (asked[0], None, None)
    periods: list[Period] = []
    conflicts: list[str | None] = []
    for s in sentences:
        context = period_at(evidence.times.get(s.doc_id, []), s.start)
        period = sentence_period(s.text, context)
        conflict = period_conflict(asked, period)
        if conflict is None and places:
            where = s.text + " " + " ".join(s.hit.chunk.section_path)
            named = [found for found, _, _ in find_places(where)]
            if not any(contains(p, f) for p in places for f in named):
                conflict = "place"
        periods.append(period)
        conflicts.append(conflict)
    # the model compares a candidate with the best of the others that could answer: a sentence
    # of another year is set aside first, so it does not overshadow the right one
    fitting = [n for n, c in enumerate(conflicts) if c is None]
    probabilities = [0.0] * len(candidates)
    for group in (fitting, [n for n, c in enumerate(conflicts) if c is not None]):
        chosen = [candidates[n] for n in group]
        if evidence.model is not None:
            values = evidence.model.probabilities(chosen)
        else:
            values = [c.coverage for c in chosen]
        for n, value in zip(group, values, strict=True):
            probabilities[n] = value
    out = [
        Scored(s, c, period, conflict, p)
        for s, c, period, conflict, p in zip(
            sentences, candidates, periods, conflicts, probabilities, strict=True
        )
    ]
    out.sort(key=lambda x: -x.probability)
    return out


def enclosed_places(scope: Scope) -> tuple[Place, ...]:
    """The places the question asks about inside a document's wider region."""
    return tuple(place_of(name) for name in scope.enclosed)


def threshold_of(evidence: Evidence, settings: Settings) -> float:
    """The acceptance bar: the model's fitted threshold, else the lexical setting."""
    return evidence.model.threshold if evidence.model is not None else settings.min_evidence
