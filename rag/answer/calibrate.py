"""Fit the evidence model: run training questions, label their candidates, fit, write JSON.

A candidate sentence is labelled evidence when it overlaps a gold evidence span of its
question, or states one of its gold answers in a gold document (plans repeat their targets);
every candidate of an unanswerable question is not evidence. Candidates that the
answerer sets aside before the model is asked (another period) are left out, as at run time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.answer.assess import Evidence, Scored
from rag.answer.evidence import EvidenceModel, feature_rows, fit_model
from rag.answer.extractive import score_hits
from rag.answer.question import classify, terms_for
from rag.evaluation.metrics import answer_correct, contains, doc_ids_of, evidence_spans
from rag.evaluation.question_sets import Question
from rag.service import Prepared, RagService

logger = logging.getLogger(__name__)


def _overlaps(doc_id: str, start: int, end: int, spans: Sequence[tuple[str, int, int]]) -> bool:
    return any(d == doc_id and s < end and start < e for d, s, e in spans)


PreparedQuestion = tuple[Question, Prepared]


def prepare_all(service: RagService, questions: Sequence[Question]) -> list[PreparedQuestion]:
    """Each training question retrieved once, for fitting the model and then its threshold."""
    return [(q, service.prepare(q.question)) for q in questions]


def collect(
    prepared: Sequence[PreparedQuestion],
) -> tuple[list[list[float]], list[int], list[tuple[int, bool]]]:
    """Feature rows, labels and per-question (first row, answerable) for the training set."""
    rows: list[list[float]] = []
    labels: list[int] = []
    per_question: list[tuple[int, bool]] = []
    for q, p in prepared:
        if q.type == "compare" or classify(q.question) == "compare":
            continue
        scored = _scored(p, p.evidence)
        if scored is None:
            continue
        scored = [sc for sc in scored if sc.conflict is None]
        documents = p.loaded.index.documents
        spans = evidence_spans(q, documents) if q.answerable else []
        gold_docs = doc_ids_of(q, documents)
        per_question.append((len(rows), q.answerable))
        for sc, row in zip(scored, feature_rows([sc.candidate for sc in scored]), strict=True):
            rows.append(row)
            s = sc.sentence
            # the evidence, or another sentence of the same document stating the same answer
            # (plans repeat their targets): both answer the question
            good = _overlaps(s.doc_id, s.start, s.end, spans) or (
                s.doc_id in gold_docs and any(contains(s.text, a) for a in q.answers if len(a) > 1)
            )
            labels.append(int(q.answerable and good))
    return rows, labels, per_question


def calibrate(
    service: RagService, questions: Sequence[Question], sources: Sequence[Path]
) -> EvidenceModel:
    """Fit the model on the questions; provenance names the files and their hashes."""
    began = time.perf_counter()
    prepared = prepare_all(service, questions)
    rows, labels, per_question = collect(prepared)
    provenance: dict[str, Any] = {
        "fitted_on": [
            {"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()[:16]}
            for p in sources
        ],
        "documents": sorted(d.source for d in service.index.documents.values()),
        "embedding_model": service.embedder.name,
        "method": "sklearn LogisticRegression(C=1.0) on standardised features; "
        "threshold: the middle of the cuts with the most right answers and refusals less "
        "wrong answers on the training questions, end to end (the whole answerer, scored as "
        "`rag eval` scores)",
        "fitted": time.strftime("%Y-%m-%d"),
    }
    model = fit_model(rows, labels, per_question, provenance)
    model = end_to_end_threshold(service, prepared, model)
    logger.info("fitted the evidence model in %.1f s", time.perf_counter() - began)
    return model


def end_to_end_threshold(
    service: RagService, prepared: Sequence[PreparedQuestion], model: EvidenceModel, steps: int = 40
) -> EvidenceModel:
    """The acceptance threshold that does best on the training questions through the whole
    answerer (which also sets aside figures of another measure, unit or period, so the best cut
    for the model's top sentence alone is not the best for answers): right answers and right
    refusals, less wrong answers (a wrong answer is worse than a refusal).

    Cuts are tried at `steps` quantiles of the model's probabilities on the questions' top
    candidates; of the best cuts, the middle one is kept, so the threshold does not sit at the
    edge of a plateau.
    """
    tops = sorted(
        max(sc.probability for sc in scored)
        for _, p in prepared
        if (scored := _scored(p, dataclasses.replace(p.evidence, model=model)))
    )
    if not tops:
        return model
    cuts = sorted(
        {round(tops[min(len(tops) - 1, n * len(tops) // steps)], 4) for n in range(steps)}
    )
    right: dict[float, int] = {}
    wrong: dict[float, int] = {}
    for cut in cuts:
        trial = dataclasses.replace(model, threshold=cut)
        right[cut] = wrong[cut] = 0
        for q, p in prepared:
            answer = service.answer_prepared(p, dataclasses.replace(p.evidence, model=trial))
            ok = answer_correct(q, answer.answer, answer.refused)
            right[cut] += ok
            wrong[cut] += not ok and not answer.refused
    # a wrong answer costs what a right one earns; a refusal of an answerable question costs
    # nothing but the answer it did not give
    gain = {c: right[c] - wrong[c] for c in cuts}
    best = max(gain.values())
    plateau = [c for c in cuts if gain[c] == best]
    threshold = plateau[len(plateau) // 2]
    provenance = dict(model.provenance)
    provenance["end_to_end"] = {
        "right_by_cut": {str(c): right[c] for c in cuts},
        "wrong_answers_by_cut": {str(c): wrong[c] for c in cuts},
        "questions": len(prepared),
        "right_at_threshold": right[threshold],
        "wrong_answers_at_threshold": wrong[threshold],
    }
    return dataclasses.replace(model, threshold=threshold, provenance=provenance)


def _scored(p: Prepared, evidence: Evidence) -> list[Scored] | None:
    """The candidates of a prepared question as `evidence` scores them; None when it has no
    scope or no content to search for (the answerer refuses those before the model)."""
    if p.scope.empty:
        return None
    documents = p.loaded.index.documents
    terms = terms_for(p.asked, p.scope, documents, p.loaded.idf)
    if not terms.variants:
        return None
    return score_hits(p.asked, p.hits, p.scope, documents, terms, evidence)


def write_model(model: EvidenceModel, path: Path) -> None:
    """Write the model file atomically."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    tmp.replace(path)
