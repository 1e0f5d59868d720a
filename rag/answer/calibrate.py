"""Fit the evidence model: run training questions, label their candidates, fit, write JSON.

A candidate sentence is labelled evidence when it overlaps a gold evidence span of its
question, or states one of its gold answers in a gold document (plans repeat their targets);
every candidate of an unanswerable question is not evidence. Candidates that the
answerer sets aside before the model is asked (another period) are left out, as at run time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.answer.evidence import EvidenceModel, feature_rows, fit_model
from rag.answer.extractive import score_hits
from rag.answer.question import classify, terms_for
from rag.evaluation.metrics import contains, doc_ids_of, evidence_spans
from rag.evaluation.question_sets import Question
from rag.service import RagService

logger = logging.getLogger(__name__)


def _overlaps(doc_id: str, start: int, end: int, spans: Sequence[tuple[str, int, int]]) -> bool:
    return any(d == doc_id and s < end and start < e for d, s, e in spans)


def collect(
    service: RagService, questions: Sequence[Question]
) -> tuple[list[list[float]], list[int], list[tuple[int, bool]]]:
    """Feature rows, labels and per-question (first row, answerable) for the training set."""
    rows: list[list[float]] = []
    labels: list[int] = []
    per_question: list[tuple[int, bool]] = []
    for q in questions:
        if q.type == "compare" or classify(q.question) == "compare":
            continue
        p = service.prepare(q.question)
        if p.scope.empty:
            continue
        documents = p.loaded.index.documents
        terms = terms_for(p.asked, p.scope, documents, p.loaded.idf)
        if not terms.variants:
            continue
        scored = [
            sc
            for sc in score_hits(p.asked, p.hits, p.scope, documents, terms, p.evidence)
            if sc.conflict is None
        ]
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
    rows, labels, per_question = collect(service, questions)
    provenance: dict[str, Any] = {
        "fitted_on": [
            {"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()[:16]}
            for p in sources
        ],
        "documents": sorted(d.source for d in service.index.documents.values()),
        "embedding_model": service.embedder.name,
        "method": "sklearn LogisticRegression(C=1.0) on standardised features; "
        "threshold maximising training accuracy",
        "fitted": time.strftime("%Y-%m-%d"),
    }
    model = fit_model(rows, labels, per_question, provenance)
    logger.info("fitted the evidence model in %.1f s", time.perf_counter() - began)
    return model


def write_model(model: EvidenceModel, path: Path) -> None:
    """Write the model file atomically."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    tmp.replace(path)
