"""Extractive answers: evidence scoring, the answer strategies, citations and refusal.

No generator model is available here, so every answer is a span of a document: a figure with
its unit, a clause, an enumeration or whole sentences. Every digit sequence of an answer is
inside a quote the answer cites, and every quote is the document text at its offsets.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence

from rag.answer.assess import Evidence, Scored, assess, enclosed_places, threshold_of
from rag.answer.pick import Misses, labelled, pick, self_names
from rag.answer.question import (
    Terms,
    classify,
    literal_figures,
    terms_for,
)
from rag.answer.spans import (
    candidate_sentences,
    citation,
    display_title,
    is_heading,
    quote_of,
    safe_label,
)
from rag.config import Settings
from rag.index.chunking import sentence_spans
from rag.lang.measures import NAMES, asked_measure
from rag.lang.periods import (
    question_period,
)
from rag.lang.places import places_in
from rag.lang.text import numbers
from rag.records import Answer, Citation, Document, Hit, Section
from rag.retrieval.retrieve import Scope


def _refusal(
    question: str,
    qtype: str,
    reason: str,
    related: Sequence[Hit],
    citations: Sequence[Citation] = (),
) -> Answer:
    # one short sentence: a client shows the related passages under its own heading
    message = "文档中没有找到该问题的答案"
    if reason:
        message += f"：{reason}"
    return Answer(question, message + "。", True, tuple(citations), tuple(related), qtype)


def _related_within(
    related: Sequence[Hit],
    scope: Scope,
    search_docs: Callable[[frozenset[str] | None], list[Hit]],
) -> Sequence[Hit]:
    """A refusal's related reading inside the documents the request's filters allow: a
    question asked under 「陕西省」 is not pointed at another province's plan."""
    if scope.within is None or all(h.chunk.doc_id in scope.within for h in related):
        return related
    return search_docs(scope.within) if scope.within else []


def _asked_label(question: str) -> str:
    years, half, stance = question_period(question)
    when = "、".join(f"{y}年" for y in years) + (half or "")
    what = {"result": "完成情况", "plan": "目标或安排"}.get(stance or "", "相应内容")
    return when + what


def explain_misses(
    question: str, misses: Misses, documents: Mapping[str, Document], limit: int
) -> tuple[str, list[Citation]]:
    """A refusal's reasons when good evidence was of another place, period or measure, each
    with its quote: what the text gives instead of what was asked."""
    reasons: list[str] = []
    cites: list[Citation] = []
    if misses.period is not None:
        sc = misses.period
        doc = documents[sc.sentence.doc_id]
        cites.append(quote_of(doc, sc.sentence, (sc.sentence.start, sc.sentence.end), limit))
        if sc.conflict == "place":
            reasons.append(f"文档只给出{safe_label(doc)}的情况，没有单独给出所问地方的数字")
        else:
            given = sc.period.label() or "其他时期"
            reasons.append(f"文档给出的是{given}，没有{_asked_label(question)}")
    if misses.measure is not None:
        sc, fig, measure = misses.measure
        doc = documents[sc.sentence.doc_id]
        wanted = NAMES.get(asked_measure(question) or "", "所问的量")
        when = sc.period.label()
        reasons.append(
            f"{when + '给出的是' if when else '文档给出的是'}{NAMES[measure]}，不是{wanted}"
        )
        cites.append(
            dataclasses.replace(
                quote_of(doc, sc.sentence, (fig.start, fig.end), limit), period=when
            )
        )
    return "；".join(reasons), cites


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
        return _refusal(
            question, qtype, scope.reason, _related_within(related or hits, scope, search_docs)
        )
    meta = metadata_answer(question, scope, documents)
    if meta is not None:
        return meta
    terms = terms_for(question, scope, documents, idf)
    if not terms.variants:
        return _refusal(question, qtype, "问题中没有可检索的内容", hits)
    limit = settings.max_quote_chars
    threshold = threshold_of(evidence, settings)

    if qtype == "compare":
        return _compare(question, scope, documents, terms, settings, search_docs, hits, evidence)

    scored = score_hits(question, hits, scope, documents, terms, evidence)
    answer = _from_evidence(question, qtype, scored, terms, documents, threshold, limit, hits)
    return dataclasses.replace(answer, confidence=scored[0].probability if scored else None)


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


def _from_evidence(
    question: str,
    qtype: str,
    scored: Sequence[Scored],
    terms: Terms,
    documents: Mapping[str, Document],
    threshold: float,
    limit: int,
    hits: Sequence[Hit],
) -> Answer:
    """The answer of a non-comparison question from its scored sentences, or a refusal."""
    if qtype == "which_doc":
        return _which_doc(question, scored, documents, threshold, limit, hits)
    misses = Misses()
    if qtype == "list":
        listed = section_list(question, scored, terms, documents, threshold, hits)
        if listed is not None:
            return listed
    if qtype == "open":
        chosen = [sc for sc in scored if sc.probability >= threshold and sc.conflict is None][:3]
        if not chosen:
            reason, cites = explain_misses(
                question, _misses_of(scored, threshold), documents, limit
            )
            return _refusal(question, qtype, reason, hits, cites)
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
    found = pick(kind, scored, terms, threshold, question=question, own=own, misses=misses)
    if found is None:
        reason, cites = explain_misses(question, misses, documents, limit)
        if not reason and qtype == "numeric":
            reason = "相关段落没有给出这一数字"
        return _refusal(question, qtype, reason, hits, cites)
    doc = documents[found.sentence.doc_id]
    text = labelled(found, doc, kind == "numeric")
    span = found.span
    if kind == "numeric" and text != found.text:
        phrase_start = doc.text.rfind(text.split(":", 1)[-1], found.sentence.start, span[1])
        span = (min(span[0], phrase_start), span[1]) if phrase_start >= 0 else span
    cite = dataclasses.replace(
        quote_of(doc, found.sentence, span, limit), period=found.scored.period.label()
    )
    return Answer(question, text, False, (cite,), tuple(hits), qtype)


def section_list(
    question: str,
    scored: Sequence[Scored],
    terms: Terms,
    documents: Mapping[str, Document],
    threshold: float,
    hits: Sequence[Hit],
) -> Answer | None:
    """「有哪些重点任务?」 answered by the items of the section it names: each child heading,
    cited. A section above a retrieved passage qualifies when it has at least two items and its
    heading holds all of the question's content, or at least as much as the best usable
    sentence does."""
    usable = [sc for sc in scored if sc.probability >= threshold and sc.conflict is None]
    best_sentence = max((sc.candidate.own_coverage for sc in usable), default=1.0)
    best: tuple[float, Document, Section] | None = None
    for hit in hits:
        doc = documents[hit.chunk.doc_id]
        for section in doc.sections:
            if not section.start <= hit.chunk.start < section.end:
                continue
            children = [c for c in doc.sections if c.parent == section.id]
            cover = terms.coverage(section.title)
            if cover < min(best_sentence, 0.999) or (len(children) < 2 and cover < 0.999):
                continue
            if best is None or cover > best[0]:
                best = (cover, doc, section)
    if best is None:
        return None
    _, doc, section = best
    children = [c for c in doc.sections if c.parent == section.id]
    if len(children) < 2:
        # 「主要目标有哪些?」 names a section without items: its own text is the answer
        body = [
            (a, b)
            for a, b in sentence_spans(doc.text, section.start, section.end)
            if not is_heading(doc.text[a:b], section.label)
        ][:2]
        if not body:
            return None
        cites = [citation(doc, None, a, b) for a, b in body]
        text = "\n".join(c.quote for c in cites)
        return Answer(question, text, False, tuple(cites), tuple(hits), "list")
    cites = []
    for child in children:
        line_end = doc.text.find("\n", child.start)
        end = min(line_end if line_end >= 0 else child.end, child.end)
        cites.append(citation(doc, None, child.start, end))
    # each item's own heading, number and all: no digit is added that the quote does not have
    text = "\n".join(c.quote.strip() for c in cites)
    return Answer(question, text, False, tuple(cites), tuple(hits), "list")


def _misses_of(scored: Sequence[Scored], threshold: float) -> Misses:
    misses = Misses()
    misses.period = next(
        (sc for sc in scored if sc.probability >= threshold and sc.conflict is not None), None
    )
    return misses


# 文号, issuer and date are metadata: answered from the document's own line, cited
_META_ASKS = (
    (re.compile(r"文号|发文字号|字号是"), "doc_number"),
    (
        re.compile(
            r"发文单位|发文机关|印发单位|哪个(?:部门|单位|机关)(?:印发|发布|制定)|谁(?:印发|发布)"
        ),
        "issuer",
    ),
    (
        re.compile(
            r"(?:发布|印发|作报告|报告)(?:的)?(?:日期|时间)|哪(?:一)?天(?:发布|印发)|什么时候(?:发布|印发)"
        ),
        "published",
    ),
)


def metadata_answer(
    question: str, scope: Scope, documents: Mapping[str, Document]
) -> Answer | None:
    """A 文号 / 发文单位 / 日期 question about one named document, answered from its metadata
    and cited where the document's text states it; None for any other question."""
    field_name = next((f for pattern, f in _META_ASKS if pattern.search(question)), None)
    if field_name is None or scope.doc_ids is None or len(scope.doc_ids) != 1:
        return None
    doc = documents[next(iter(scope.doc_ids))]
    value = getattr(doc, field_name)
    if not value:
        return None
    written = [str(value)]
    if field_name == "published":
        y, m, d = str(value).split("-")
        written = [f"{int(y)}年{int(m)}月{int(d)}日", str(value)]
    for form in written:
        at = doc.text.find(form)
        if at >= 0:
            line_start = doc.text.rfind("\n", 0, at) + 1
            line_end = doc.text.find("\n", at)
            line_end = len(doc.text) if line_end < 0 else line_end
            cite = citation(doc, None, line_start, line_end)
            return Answer(question, form, False, (cite,), (), "metadata")
    return None


def _which_doc(
    question: str,
    scored: Sequence[Scored],
    documents: Mapping[str, Document],
    threshold: float,
    limit: int,
    hits: Sequence[Hit],
) -> Answer:
    """Name the document(s) (or their places, when a place is asked) whose best sentence is
    evidence, each cited: the best one, and any other as probable as it."""
    best_per_doc: dict[str, Scored] = {}
    quoted = literal_figures(question)
    for sc in scored:
        if quoted and not all(n in sc.sentence.text for n in quoted):
            continue  # 「…达到95.3万辆的是哪个地方」: the document must state that figure
        if sc.probability >= threshold and sc.sentence.doc_id not in best_per_doc:
            best_per_doc[sc.sentence.doc_id] = sc
    if not best_per_doc:
        return _refusal(question, "which_doc", "", hits)
    top = max(sc.probability for sc in best_per_doc.values())
    chosen = [sc for sc in best_per_doc.values() if sc.probability >= top - _SAME_EVIDENCE]
    asked_level = _ASKED_LEVEL.search(question)
    if asked_level is not None:
        level = _LEVEL_OF[asked_level.group(1)]
        best = max(chosen, key=lambda x: x.probability)
        doc = documents[best.sentence.doc_id]
        if doc.region_level != level:
            # 「哪个市…」 over a province's plan: the cities its evidence names, not the province
            named = [p.name for p in places_in(best.sentence.text, level)]
            if not named:
                return _refusal(question, "which_doc", f"证据中没有点名的{level}", hits)
            cite = quote_of(doc, best.sentence, (best.sentence.start, best.sentence.end), limit)
            return Answer(question, "、".join(named), False, (cite,), tuple(hits), "which_doc")
    asks_place = bool(re.search(r"哪(?:个|些)?(?:省|市|地区|地方|城市|县|区)", question))
    lines, cites = [], []
    for sc in sorted(chosen, key=lambda x: -x.probability):
        doc = documents[sc.sentence.doc_id]
        cites.append(quote_of(doc, sc.sentence, (sc.sentence.start, sc.sentence.end), limit))
        name = safe_label(doc) if asks_place else display_title(doc)
        lines.append(f"{name}【{len(cites)}】")
    return Answer(question, "、".join(lines), False, tuple(cites), tuple(hits), "which_doc")


_ASKED_LEVEL = re.compile(r"哪(?:个|些|一个)(省份|省|城市|市|县|区)(?!域)")


_LEVEL_OF = {"省份": "省", "省": "省", "城市": "市", "市": "市", "县": "县", "区": "区"}


# documents whose best evidence is this close to the best one's are named with it
_SAME_EVIDENCE = 0.05


def _compare(
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
        return _refusal(question, "compare", "", hits)
    return Answer(
        question, "\n".join(lines), False, tuple(cites), tuple(hits), "compare", tuple(rows)
    )


def number_violations(answer: Answer) -> list[str]:
    """Digit sequences of the answer that no cited quote contains (must be empty).

    A period label (「2024年完成情况」) is the cited passage's own period, read from the
    document's headings and framing sentences; it is exempt only as the label its citation
    carries, so no other figure can hide in it.
    """
    if answer.refused:
        return []
    quotes = " ".join(c.quote for c in answer.citations)
    body = re.sub(r"【\d+】", "", answer.answer)
    # period labels and document names are the cited passages' own metadata
    for label in sorted(
        {x for c in answer.citations for x in (c.period, c.title) if x}, key=len, reverse=True
    ):
        body = body.replace(label, " ")
    return [n for n in numbers(body) if n not in quotes]
