"""The comparison answer: one line per place (or document), each with its own figure or clause,
period and citation, every group searched separately."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence

from rag.answer.assess import Evidence, assess, enclosed_places, threshold_of
from rag.answer.pick import pick, self_names
from rag.answer.question import Terms
from rag.answer.refusal import refusal
from rag.answer.spans import candidate_sentences, quote_of, safe_label
from rag.config import Settings
from rag.lang.periods import (
    CONJUNCTIONS,
    document_years,
    five_year_plans,
    one_of_spans,
    question_period,
)
from rag.lang.places import Place, contains, find_places, place_of
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
    """One line per place, per year named (「2018年和2019年…各是多少」, one place) or per
    document, each with its own figure or clause, period and citation."""
    allowed = scope.doc_ids if scope.doc_ids is not None else frozenset(documents)
    # the years asked, not those naming where to read them (「2009年、2011年…按2010、2012年
    # 政府工作报告」): each is a line
    years = question_period(question)[0] or scope.years
    by_year = len(scope.per_region) < 2 and len(years) >= 2
    # each group: the question it asks, the document sets tried in turn for its line, and the
    # places inside their region its line must name
    groups: list[tuple[str, list[frozenset[str]], tuple[Place, ...]]]
    if len(scope.per_region) >= 2:
        named = {p for p, _s, _e in find_places(question)}
        groups = [
            (question, [frozenset(ids)], _inside(region, named, scope))
            for region, ids in scope.per_region.items()
        ]
    elif by_year:
        # each year is its own question, asked of each document of that year and of the next
        # (which reviews it) one by one; the year's period must match, as for any question
        groups = [
            (_asked_of_year(question, year, years), _of_year_docs(allowed, documents, year), ())
            for year in years
        ]
    else:
        groups = [(question, [frozenset({d})], ()) for d in sorted(allowed)]
    numeric = bool(re.search(r"多少|几|比例|比重|增长|目标|数量|金额", question))
    kind = "numeric" if numeric else "entity"
    threshold = threshold_of(evidence, settings)
    rows: list[tuple[str, str, int]] = []
    cites: list[Citation] = []
    lines: list[str] = []
    own = self_names(question, documents)
    missing_years = 0
    # of a year's documents, the one whose passage is dated that very year, then the surest
    named_years = set(years) if by_year else set()
    for asked, tries, places in groups:
        picks = []
        for docs in tries:
            group_hits = search_docs(docs)
            sentences = candidate_sentences(group_hits, documents, terms)
            # a half or stance may belong to one of the places compared only, when each has a
            # period of its own (「安徽2021年目标…与芜湖2020年上半年…」); the years of one place
            # compared share them (「2013年和2015年…增长目标分别是多少」 asks two targets), as
            # places compared in one period do (「河北和湖南去年各收了多少粮食」 asks results)
            shared = by_year or len(years) < 2
            scored = assess(
                asked, sentences, group_hits, terms, evidence, places, years_only=not shared
            )
            got = pick(kind, scored, terms, threshold, question=asked, own=own, documents=documents)
            if got is not None:
                picks.append(got)
        found = max(
            picks,
            key=lambda f: (f.scored.period.year in named_years, f.confidence),
            default=None,
        )
        if found is None:
            if len(scope.per_region) >= 2:
                label = places[0].name if places else safe_label(documents[sorted(tries[0])[0]])
                lines.append(f"{label}:文档中没有找到")
                rows.append((label, "文档中没有找到", 0))
            missing_years += by_year
            continue
        doc = documents[found.sentence.doc_id]
        when = found.scored.period.label() if numeric else ""
        quote = quote_of(doc, found.sentence, found.span, settings.max_quote_chars)
        cites.append(dataclasses.replace(quote, period=when))
        label = safe_label(doc)  # a year's line: the period label after the value names it
        value = found.text + (f"({when})" if when else "")
        lines.append(f"{label}:{value}【{len(cites)}】")
        rows.append((label, value, len(cites)))
    if not cites:
        return refusal(question, "compare", "", hits)
    if missing_years:
        # neither the years nor their count can be written: every digit of an answer is in
        # a cited quote
        lines.append("问题所问的其余年份:文档中没有找到")
    return Answer(
        question, "\n".join(lines), False, tuple(cites), tuple(hits), "compare", tuple(rows)
    )


def _inside(region: str, named: set[Place], scope: Scope) -> tuple[Place, ...]:
    """The places asked inside a compared region (成都 of a 四川 report): its line must be
    theirs, as for a question about one place; none when the region itself is named too
    (「四川和成都分别…」 asks the province's own figure)."""
    wider = place_of(region)
    if wider in named:
        return ()
    return tuple(p for p in enclosed_places(scope) if contains(wider, p))


def _asked_of_year(question: str, year: int, years: Sequence[int]) -> str:
    """of_year, where the years asked may be the ones the named reports review: 「2019年、2024年、
    2025年三份报告回顾上一年…」 asks 2018, 2023 and 2024, each by keeping its report's year."""
    named = sorted(document_years(question))
    if sorted(y + 1 for y in years) == named:
        return of_year(question, year + 1, named)
    return of_year(question, year, years)


def of_year(question: str, year: int, years: Sequence[int]) -> str:
    """The question asked of one of the years it names: the others and their conjunction
    dropped (「2018年和2019年…各是多少」 -> 「2018年…各是多少」), a span or list of them
    written as the year (one_of_spans)."""
    question = one_of_spans(question, year)
    # a five-year plan asked beside the year's own (「“十二五”和“十三五”各定的多少」): the
    # other plans go, with the conjunction that joins them
    plans = five_year_plans(question)
    if any(last == year for _s, _e, last in plans):
        for start, end, last in reversed(plans):
            if last != year:
                question = _drop_joined(question, start, end)
    for other in years:
        if other == year:
            continue
        # an earlier year goes with the conjunction after it, a later one with the one before
        # it: 「任务，2017年和2018年的报告」 asked of 2018 keeps the comma that ends the clause
        # before, 「2018年和2019年，陕西省…」 asked of 2018 the one after
        after = rf"{other}\s*年\s*(?:{CONJUNCTIONS}|，|,)\s*"
        before = rf"\s*(?:{CONJUNCTIONS}|，|,)\s*{other}\s*年"
        first = re.search(rf"{other}\s*年", question)
        own = re.search(rf"{year}\s*年", question)
        earlier = first is not None and own is not None and first.start() < own.start()
        joined = after if earlier and re.search(after, question) else before
        if re.search(joined, question):
            question = re.sub(joined, "", question, count=1)
        else:
            question = re.sub(rf"{other}\s*年", "", question, count=1)
    return question


def _drop_joined(text: str, start: int, end: int) -> str:
    """The text without text[start:end] (and its quotes), and the conjunction joining it to
    the next item, or else to the one before."""
    if text[start - 1 : start] in ("“", '"') and start:
        start -= 1
    if text[end : end + 1] in ("”", '"'):
        end += 1
    after = re.match(rf"\s*(?:{CONJUNCTIONS}|，|,)\s*", text[end:])
    if after:
        return text[:start] + text[end + after.end() :]
    before = re.search(rf"\s*(?:{CONJUNCTIONS}|，|,)\s*$", text[:start])
    return text[: before.start() if before else start] + text[end:]


def _of_year_docs(
    allowed: frozenset[str], documents: Mapping[str, Document], year: int
) -> list[frozenset[str]]:
    """The allowed documents of the year, then those of the next (a report reviews the year
    before), each on its own; then all of them together (a five-year plan's last year is
    set in a report years before it)."""
    dated = [
        frozenset({d})
        for want in (year, year + 1)
        for d in sorted(allowed)
        if documents[d].year == want
    ]
    return [*dated, allowed] if allowed not in dated else dated
