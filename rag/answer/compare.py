"""The comparison answer: one line per place (or document), each with its own figure or clause,
period and citation, every group searched separately."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence

from rag.answer.assess import Evidence, assess, threshold_of
from rag.answer.pick import pick, self_names
from rag.answer.question import Terms
from rag.answer.refusal import refusal
from rag.answer.spans import candidate_sentences, quote_of, safe_label
from rag.config import Settings
from rag.records import Answer, Citation, Document, Hit
from rag.retrieval.retrieve import Scope


def compare_answer(
    question: str,
    scope: Scope,
    documents: Mapping[str, Document],
    terms: Terms,
    settings: Settings,
    search_docs: Callable[[frozenset[str] | None], list[Hit]],
    hits: Sequence[Hit],
    evidence: Evidence,
) -> Answer:
    """One line per document, each with its own figure or clause, period and citation."""
    if len(scope.per_region) >= 2:
        groups = [frozenset(ids) for ids in scope.per_region.values()]
    else:
        allowed = scope.doc_ids if scope.doc_ids is not None else frozenset(documents)
        groups = [frozenset({d}) for d in sorted(allowed)]
    numeric = bool(re.search(r"多少|几|比例|比重|增长|目标|数量|金额", question))
    threshold = threshold_of(evidence, settings)
    rows: list[tuple[str, str, int]] = []
    cites: list[Citation] = []
    lines: list[str] = []
    own = self_names(question, documents)
    for group in groups:
        group_hits = search_docs(group)
        sentences = candidate_sentences(group_hits, documents, terms)
        scored = assess(question, sentences, group_hits, terms, evidence, years_only=True)
        kind = "numeric" if numeric else "entity"
        found = pick(kind, scored, terms, threshold, question=question, own=own)
        if found is None:
            if len(scope.per_region) >= 2:
                label = safe_label(documents[sorted(group)[0]])
                lines.append(f"{label}:文档中没有找到")
                rows.append((label, "文档中没有找到", 0))
            continue
        doc = documents[found.sentence.doc_id]
        when = found.scored.period.label() if numeric else ""
        quote = quote_of(doc, found.sentence, found.span, settings.max_quote_chars)
        cites.append(dataclasses.replace(quote, period=when))
        label = safe_label(doc)
        value = found.text + (f"({when})" if when else "")
        lines.append(f"{label}:{value}【{len(cites)}】")
        rows.append((label, value, len(cites)))
    if not cites:
        return refusal(question, "compare", "", hits)
    return Answer(
        question, "\n".join(lines), False, tuple(cites), tuple(hits), "compare", tuple(rows)
    )
