"""Questions across places and years, answered from the targets table.

Four forms, read from the wording of the question (each pattern below names a form, never a
topic):

- each place's X: 「各省2025年研发投入强度目标分别是多少?」
- which places X > v: 「哪些省份2025年计划新增高新技术企业超过3000家?」
- rank by X: 「各省2025年地区生产总值增长目标排名」, 「哪个省…最高?」
- X over the years: 「陕西技术合同成交额目标这几年怎么变的?」

The answer has one cited row per place (or per year); a place (or year) whose documents give no
such figure is listed as 「未提及」, never dropped. Every other question returns None and goes to
the sentence answerer. Every number of an answer is inside the quote it cites (the quote is the
row's sentence, or a window of it around the figure).

The form and the asked indicator are read in form.py, the rows chosen and cited in
answer_rows.py, ranked or grouped by a threshold in ranking.py; a figure over the years is
answered in trend.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.kb.base import Loaded
from rag.lang.periods import question_period
from rag.lang.places import NATIONAL, Place, asked_groups, contains, find_places, place_of
from rag.records import Answer, Citation
from rag.retrieval.retrieve import Scope
from rag.targets.answer_rows import best_row, cite_row, matching_rows
from rag.targets.form import Form, asked_indicator, question_form
from rag.targets.ranking import above_layout, ranked_layout
from rag.targets.table import table_of
from rag.targets.target import Target
from rag.targets.trend import trend_answer


def _candidates(
    loaded: Loaded,
    rows: Sequence[Target],
    form: Form,
    allowed: frozenset[str] | None,
    years: tuple[int, ...],
    within: list[Place],
) -> list[str]:
    """The places the question is about, in a stable order: every document's place (and every
    row's place) of the asked levels, inside the places the question names, with a document
    that covers the asked year."""
    docs = loaded.index.documents
    seen: dict[str, None] = {}
    for row in rows:
        if row.level not in form.levels or (allowed is not None and row.doc_id not in allowed):
            continue
        if years and not set(years) & loaded.years.get(row.doc_id, set()):
            continue
        if within and not any(contains(p, place_of(row.place)) for p in within):
            continue
        if row.place == docs[row.doc_id].region or row.place not in seen:
            seen.setdefault(row.place, None)
    return sorted(seen, key=lambda name: (len(name) > 3, name))


def table_answer(
    question: str, loaded: Loaded, scope: Scope | None = None, limit: int = 240
) -> Answer | None:
    """The answer of a question across places or years from the table, or None when the
    question is of no such form (or names no indicator)."""
    form = question_form(question)
    if form is None:
        return None
    docs = loaded.index.documents
    own = {place_of(d.region, d.region_level) for d in docs.values() if d.region}
    unknown = [p for p in own if not p.known]  # 「xx市」, made-up places: matched by exact name
    asked = asked_indicator(question, unknown)
    if len(asked) < 2:
        return None
    rows = table_of(loaded)
    allowed = scope.within if scope is not None else None
    if allowed is not None:
        rows = tuple(r for r in rows if r.doc_id in allowed)
    years, _half, period_stance = question_period(question)
    stance = {"plan": "target", "result": "result"}.get(period_stance or "")
    # a group of provinces asked about (长三角各省市) is its provinces, each listed, with or
    # without a document
    grouped = list(dict.fromkeys(p for p, _s, _e in asked_groups(question)))
    named = [p for p, _s, _e in find_places(question, unknown)] + grouped
    named = [p for p in named if p != NATIONAL]
    if form.name == "trend":
        return trend_answer(question, loaded, rows, asked, stance, named, limit, allowed, years)
    places = _candidates(loaded, rows, form, allowed, years, named)
    if not places and not grouped:
        return None
    matching = matching_rows(rows, asked, question, years, stance)
    found: dict[str, Target] = {}
    for place in places:
        of_place = [r for r in matching if r.place == place]
        if of_place:
            found[place] = best_row(of_place, asked, stance)
    missing = [p for p in places if p not in found]
    missing += [p.name for p in grouped if p.name not in places]
    if not found:
        return Answer(
            question,
            "文档中没有找到该问题的答案：各地文档均未提及这一数字（" + "、".join(missing) + "）。",
            True,
            qtype="table",
            rows=tuple((p, "未提及", 0) for p in missing),
        )
    if form.name == "rank":
        layout = ranked_layout(places, found, form.ascending)
    elif form.name == "above":
        layout = above_layout(places, found, form)
    else:
        layout = [p for p in places if p in found]
    # citations are numbered in the order the answer shows them
    lines: list[str] = []
    cites: list[Citation] = []
    table: list[tuple[str, str, int]] = []
    for item in layout:
        if item not in found:
            lines.append(item)  # a heading: 从高到低：, 符合所问条件的：
            continue
        row = found[item]
        text, cite = cite_row(row, docs[row.doc_id], limit)
        cites.append(cite)
        when = f"（{row.period}）" if row.period else ""
        lines.append(f"{item}：{text}{when}【{len(cites)}】")
        table.append((item, text, len(cites)))
    table += [(p, "未提及", 0) for p in missing]
    if missing:
        lines.append("未提及：" + "、".join(missing))
    return Answer(question, "\n".join(lines), False, tuple(cites), qtype="table", rows=tuple(table))
