"""Extractive answers: evidence scoring, the answer strategies, citations and refusal.

No generator model is available here, so every answer is a span of a document: a figure with
its unit, a clause, an enumeration or whole sentences. Every digit sequence of an answer is
inside a quote the answer cites, and every quote is the document text at its offsets.

The strategies other than a figure, clause, enumeration or sentences picked from the evidence
have modules of their own: comparisons (compare.py), which document or place (which_doc.py), a
document's 文号/issuer/date (metadata.py), a section's items (sections.py); refusals and what
they explain in refusal.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from rag.answer.assess import Evidence, Scored, assess, enclosed_places, threshold_of
from rag.answer.compare import compare_answer
from rag.answer.counted import counted_members
from rag.answer.metadata import metadata_answer
from rag.answer.pick import Misses, labelled, pick, self_names
from rag.answer.question import Terms, classify, terms_for
from rag.answer.refusal import explain_misses, misses_of, refusal, related_within
from rag.answer.sections import section_list
from rag.answer.spans import candidate_sentences, citation, quote_of
from rag.answer.which_doc import which_doc_answer
from rag.config import Settings
from rag.lang.figures import holds_figures, literal_figures
from rag.lang.text import numbers
from rag.records import CITATION_MARK, Answer, Document, Hit
from rag.retrieval.retrieve import Scope


def answer_question(
    question: str,
    hits: Sequence[Hit],
    scope: Scope,
    documents: Mapping[str, Document],
    idf: Mapping[str, float],
    settings: Settings,
    search_docs: Callable[[frozenset[str] | None], list[Hit]],
    related: Sequence[Hit] = (),
    evidence: Evidence | None = None,
) -> Answer:
    """Answer from the hits, or refuse; comparisons search each document group separately."""
    evidence = evidence or Evidence()
    qtype = classify(question, len(scope.per_region))
    if scope.empty:
        return refusal(
            question, qtype, scope.reason, related_within(related or hits, scope, search_docs)
        )
    meta = metadata_answer(question, scope, documents)
    if meta is not None:
        return meta
    terms = terms_for(question, scope, documents, idf)
    if not terms.variants:
        return refusal(question, qtype, "问题中没有可检索的内容", hits)
    limit = settings.max_quote_chars
    threshold = threshold_of(evidence, settings)

    if qtype == "compare":
        return _uncovered_too(
            compare_answer(
                question, scope, documents, terms, settings, search_docs, hits, evidence
            ),
            scope,
        )

    scored = score_hits(question, hits, scope, documents, terms, evidence)
    # beside a place no document covers, the answer names whose figure it gives
    name_place = unnamed_places(scope, documents) or bool(scope.foreign_regions)
    answer = _from_evidence(
        question, qtype, scored, terms, documents, threshold, limit, hits, name_place
    )
    answer = _uncovered_too(answer, scope)
    return dataclasses.replace(answer, confidence=scored[0].probability if scored else None)


def _uncovered_too(answer: Answer, scope: Scope) -> Answer:
    """An answer for the places the documents cover says so of the others the question names
    (「浙江和江苏今年…」: 江苏's figure, and that no document covers 浙江), never leaving them out
    silently."""
    if answer.refused or not scope.foreign_regions:
        return answer
    lines = [f"{name}:文档不涉及" for name in scope.foreign_regions]
    return dataclasses.replace(answer, answer="\n".join([answer.answer, *lines]))


def score_hits(
    question: str,
    hits: Sequence[Hit],
    scope: Scope,
    documents: Mapping[str, Document],
    terms: Terms,
    evidence: Evidence,
) -> list[Scored]:
    """Every sentence of the passages, assessed for the question (what `rag calibrate` fits)."""
    sentences = candidate_sentences(hits, documents, terms)
    return assess(question, sentences, hits, terms, evidence, enclosed_places(scope))


def unnamed_places(scope: Scope, documents: Mapping[str, Document]) -> bool:
    """Whether the question names no place while its scope holds plans of several places, or
    the country's by default: a figure then has to say whose it is (「粮食产量目标是多少?」
    over 26 reports)."""
    if scope.place_by_default:
        return True
    if scope.regions or scope.per_region or scope.foreign_regions or scope.enclosed:
        return False
    ids = scope.doc_ids if scope.doc_ids is not None else documents.keys()
    return len({documents[k].region for k in ids}) > 1


def _from_evidence(
    question: str,
    qtype: str,
    scored: Sequence[Scored],
    terms: Terms,
    documents: Mapping[str, Document],
    threshold: float,
    limit: int,
    hits: Sequence[Hit],
    name_place: bool = False,
) -> Answer:
    """The answer of a non-comparison question from its scored sentences, or a refusal; with
    `name_place`, a figure's label names the place of its document."""
    if qtype == "which_doc":
        return which_doc_answer(question, scored, documents, threshold, limit, hits)
    misses = Misses()
    if qtype == "list":
        members = counted_members(question, documents, hits)
        if members is not None:
            return members
        listed = section_list(question, scored, terms, documents, threshold, hits)
        if listed is not None:
            return listed
    if qtype == "open":
        # a figure the question quotes (「为何…上调到110万吨以上」) is in what answers it
        quoted = set(literal_figures(question))
        chosen = [
            sc
            for sc in scored
            if sc.probability >= threshold
            and sc.conflict is None
            and holds_figures(sc.sentence.text, quoted)
        ][:3]
        if not chosen:
            reason, cites = explain_misses(question, misses_of(scored, threshold), documents, limit)
            return refusal(question, qtype, reason, hits, cites)
        chosen.sort(key=lambda sc: (sc.sentence.doc_id, sc.sentence.start))
        quotes = tuple(
            citation(
                documents[sc.sentence.doc_id], sc.sentence.hit, sc.sentence.start, sc.sentence.end
            )
            for sc in chosen
        )
        text = "\n".join(c.quote for c in quotes)
        return Answer(question, text, False, quotes, tuple(hits), qtype)
    kind = {"numeric": "numeric", "list": "list", "entity": "entity"}.get(qtype, "span")
    own = self_names(question, documents)
    found = pick(
        kind,
        scored,
        terms,
        threshold,
        question=question,
        own=own,
        misses=misses,
        documents=documents,
    )
    if found is None:
        reason, cites = explain_misses(question, misses, documents, limit)
        if not reason and qtype == "numeric":
            reason = "相关段落没有给出这一数字"
        return refusal(question, qtype, reason, hits, cites)
    doc = documents[found.sentence.doc_id]
    text = labelled(found, doc, kind == "numeric", doc.region or "" if name_place else "")
    span = found.span
    if kind == "numeric" and text != found.text:
        phrase_start = doc.text.rfind(text.split(":", 1)[-1], found.sentence.start, span[1])
        span = (min(span[0], phrase_start), span[1]) if phrase_start >= 0 else span
    cite = dataclasses.replace(
        quote_of(doc, found.sentence, span, limit), period=found.scored.period.label()
    )
    return Answer(question, text, False, (cite,), tuple(hits), qtype)


def number_violations(answer: Answer) -> list[str]:
    """Digit sequences of the answer that no cited quote contains (must be empty).

    A period label (「2024年完成情况」) is the cited passage's own period, read from the
    document's headings and framing sentences; it is exempt only as the label its citation
    carries, so no other figure can hide in it.
    """
    if answer.refused:
        return []
    quotes = " ".join(c.quote for c in answer.citations)
    body = CITATION_MARK.sub("", answer.answer)
    # period labels and document names are the cited passages' own metadata
    for label in sorted(
        {x for c in answer.citations for x in (c.period, c.title) if x}, key=len, reverse=True
    ):
        body = body.replace(label, " ")
    return [n for n in numbers(body) if n not in quotes]
