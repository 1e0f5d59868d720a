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
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from rag.answer.question import _ASKING_WORDS
from rag.answer.spans import Sentence, citation, quote_of
from rag.kb.base import Loaded
from rag.lang.measures import UNITS, asked_measure, compatible
from rag.lang.periods import question_period
from rag.lang.places import NATIONAL, Place, contains, find_places, place_of
from rag.records import Answer, Chunk, Citation, Document, Hit
from rag.retrieval.retrieve import Scope
from rag.targets.figures import base_unit
from rag.targets.indicator import normalise_indicator, strip_back, strip_front
from rag.targets.table import indicator_distance, indicator_matches, table_of
from rag.targets.target import Target

# the level words of the question (各省, 哪些城市) and the levels they mean; 地/地区/地方 are any
# place below the country
_LEVEL_WORD = r"(省区市|省份|省|地区|地方|地|城市|市|区县|县|区)"
_LEVELS = {
    "省区市": ("provincial",),
    "省份": ("provincial",),
    "省": ("provincial",),
    "城市": ("city",),
    "市": ("city",),
    "区县": ("district",),
    "县": ("district",),
    "区": ("district",),
}
_ANY_LEVEL = ("provincial", "city", "district")
_EACH = re.compile(r"各(?:个)?" + _LEVEL_WORD + r"|(?:每个|所有|全部)" + _LEVEL_WORD)
_WHICH = re.compile(r"哪(?:些|几个)" + _LEVEL_WORD)
_WHICH_ONE = re.compile(r"哪(?:个|一个)" + _LEVEL_WORD)
# a superlative asks for a ranking when it closes the question (「…目标最高?」, 「最多的是」),
# not when it describes a thing (「全球最大冰雪主题乐园」)
_RANK = re.compile(r"排名|排序|排行|最(?:高|低|多|少|大|小)(?=的?(?:是|[?？。，,]|$))")
_ASCENDING = re.compile(r"最低|最少|最小|从低到高|从小到大")
# 「每年」 is not among them: 「力争每年转化100项」 states a yearly target
_TREND = re.compile(r"这几年|近几年|这些年|历年|逐年|多年来|怎么变|如何变|变化|趋势|演变")
_ABOVE_WORDS = "超过|高于|大于|多于|不低于|不少于|达到"
_BELOW_WORDS = "低于|少于|小于|不到|不足"
_THRESHOLD = re.compile(
    rf"(?P<verb>{_ABOVE_WORDS}|{_BELOW_WORDS})?\s*"
    rf"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>(?:万亿|亿|万|千)?(?:{UNITS})?)\s*(?P<side>以上|以下)?"
)
# what a question says besides its indicator: its form, stance and asking words
_NOT_INDICATOR = re.compile(
    r"(?:19|20)\d\d\s*年度?|今年|去年|明年|上半年|下半年|全年|"
    r"预期目标|目标值|目标|计划|预期|完成情况|完成|实际|情况|安排|分别|各自|都|提出|要求|数值|数字|"
    r"是|为|有|呢|吗|了|的|怎么样|怎样|怎么|如何|排|从高到低|从低到高|"
    + "|".join(sorted(_ASKING_WORDS, key=len, reverse=True))
)
_PUNCT = re.compile(r"[\s,，.。?？!！、:：;；()（）“”\"'《》]+")


@dataclasses.dataclass(frozen=True)
class Form:
    """What kind of question across places or years this is."""

    name: str  # each, above, rank, trend
    levels: tuple[str, ...] = ()
    threshold: tuple[float, str, str] | None = None  # base amount, base unit, above/below/…
    ascending: bool = False


def question_form(question: str) -> Form | None:
    """The form of a question across places or years, or None for any other question."""
    scope = _EACH.search(question) or _WHICH.search(question)
    one = _WHICH_ONE.search(question)
    word = scope or one
    levels = _LEVELS.get(next(g for g in word.groups() if g), _ANY_LEVEL) if word else ()
    if scope is not None:
        threshold = _threshold(question)
        if threshold is not None:
            return Form("above", levels, threshold)
    if (scope is not None or one is not None) and _RANK.search(question):
        return Form("rank", levels, ascending=bool(_ASCENDING.search(question)))
    if _EACH.search(question):
        return Form("each", levels)
    if scope is None and one is None and _TREND.search(question):
        return Form("trend")
    return None


def _threshold(question: str) -> tuple[float, str, str] | None:
    for m in _THRESHOLD.finditer(question):
        if re.fullmatch(r"(?:19|20)\d\d", m.group("num")) and question[m.end("num") :].startswith(
            "年"
        ):
            continue
        verb, side = m.group("verb"), m.group("side")
        if not verb and not side:
            continue
        unit, scale = base_unit(m.group("unit") or "")
        if verb:
            strict = verb in ("超过", "高于", "大于", "多于", "低于", "少于", "小于")
            direction = ("above" if verb in _ABOVE_WORDS.split("|") else "below") + (
                "" if strict else "_or_equal"
            )
        else:
            direction = "above_or_equal" if side == "以上" else "below_or_equal"
        return float(m.group("num")) * scale, unit, direction
    return None


def asked_indicator(question: str, extra: Sequence[Place] = ()) -> str:
    """The indicator a question asks about: what is left of it without its places, years, form,
    stance and asking words, normalised as rows are (「各省2025年研发投入强度目标分别是多少?」 ->
    研发投入强度)."""
    text = question
    for pattern in (_EACH, _WHICH, _WHICH_ONE, _RANK, _TREND, _ASCENDING):
        text = pattern.sub(" ", text)
    for m in reversed(list(_THRESHOLD.finditer(text))):
        if m.group("verb") or m.group("side"):
            text = text[: m.start()] + " " + text[m.end() :]
    for _place, start, end in sorted(find_places(text, extra), key=lambda m: -m[1]):
        text = text[:start] + " " + text[end:]
    text = _NOT_INDICATOR.sub(" ", text)
    pieces = [p for p in _PUNCT.split(text) if p]
    if not pieces:
        return ""
    phrase = max(pieces, key=len)
    phrase = phrase[strip_front(phrase) :]
    phrase = phrase[: strip_back(phrase)]
    return normalise_indicator(phrase) if phrase else ""


def _best(rows: Sequence[Target], asked: str, stance: str | None) -> Target:
    """The row that answers best: the asked stance, the closest indicator, the latest year,
    the first in the text."""
    return min(
        rows,
        key=lambda r: (
            0 if stance is None or r.stance == stance else 1,
            indicator_distance(asked, r.indicator_norm),
            -(r.year or 0),
            r.doc_id,
            r.value_start,
        ),
    )


def _matching(
    rows: Sequence[Target], asked: str, question: str, years: tuple[int, ...], stance: str | None
) -> list[Target]:
    # 「排名」 names the form (a ranking of places), not a measure of rank
    measure = asked_measure(_RANK.sub("", question))
    out = []
    for row in rows:
        if not indicator_matches(asked, row.indicator_norm):
            continue
        if years and row.year not in years:
            continue
        if stance is not None and row.stance not in (stance, ""):
            continue
        if not compatible(measure, row.kind):
            continue
        out.append(row)
    return out


def _shown(row: Target, doc: Document) -> tuple[str, int]:
    """The figure as the answer shows it, copied from the text (indicator to bound when they
    stand close together), and where it starts."""
    value_end = row.value_start + len(row.value)
    bound = re.match(r"以上|左右|以内|以下|多|余", doc.text[value_end : value_end + 2])
    end = value_end + (len(bound.group()) if bound else 0)
    if row.indicator and 0 <= row.value_start - row.indicator_start <= 24:
        return doc.text[row.indicator_start : end], row.indicator_start
    return doc.text[row.value_start : end], row.value_start


def _cite(row: Target, doc: Document, limit: int) -> tuple[str, Citation]:
    shown, begin = _shown(row, doc)
    chunk = Chunk("", doc.doc_id, doc.source, "", row.section_path, row.start, row.end, "", "")
    sentence = Sentence(doc.doc_id, row.start, row.end, row.quote, Hit(chunk, 0.0), 0.0)
    cite = quote_of(doc, sentence, (begin, begin + len(shown)), limit)
    if shown not in cite.quote:  # a window too short for the phrase: cite the sentence
        cite = citation(doc, sentence.hit, row.start, row.end)
    return shown, dataclasses.replace(cite, period=row.period)


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
    named = [p for p, _s, _e in find_places(question, unknown)]
    named = [p for p in named if p != NATIONAL]
    if form.name == "trend":
        return _trend(question, loaded, rows, asked, stance, named, limit, allowed)
    places = _candidates(loaded, rows, form, allowed, years, named)
    if not places:
        return None
    matching = _matching(rows, asked, question, years, stance)
    found: dict[str, Target] = {}
    for place in places:
        of_place = [r for r in matching if r.place == place]
        if of_place:
            found[place] = _best(of_place, asked, stance)
    missing = [p for p in places if p not in found]
    if not found:
        return Answer(
            question,
            "文档中没有找到该问题的答案：各地文档均未提及这一数字（" + "、".join(missing) + "）。",
            True,
            qtype="table",
            rows=tuple((p, "未提及", 0) for p in missing),
        )
    if form.name == "rank":
        layout = _ranked(places, found, form.ascending)
    elif form.name == "above":
        layout = _above(places, found, form)
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
        text, cite = _cite(row, docs[row.doc_id], limit)
        cites.append(cite)
        when = f"（{row.period}）" if row.period else ""
        lines.append(f"{item}：{text}{when}【{len(cites)}】")
        table.append((item, text, len(cites)))
    table += [(p, "未提及", 0) for p in missing]
    if missing:
        lines.append("未提及：" + "、".join(missing))
    return Answer(question, "\n".join(lines), False, tuple(cites), qtype="table", rows=tuple(table))


def _comparable(found: Mapping[str, Target]) -> str | None:
    """The base unit most of the figures share (their values can be ordered)."""
    units = [r.base_unit for r in found.values() if r.base_amount is not None]
    return max(set(units), key=units.count) if units else None


def _ranked(places: Sequence[str], found: Mapping[str, Target], ascending: bool) -> list[str]:
    """Headings and places, the places with a figure in the shared unit ordered by it."""
    unit = _comparable(found)
    ordered = sorted(
        (p for p in places if p in found and found[p].base_unit == unit),
        key=lambda p: (found[p].base_amount or 0.0) * (1 if ascending else -1),
    )
    layout = ["从低到高：" if ascending else "从高到低：", *ordered]
    other = [p for p in places if p in found and p not in ordered]
    if other:
        layout += ["单位不同、未参与排序：", *other]
    return layout


def _passes(row: Target, threshold: tuple[float, str, str]) -> bool | None:
    amount, unit, direction = threshold
    if row.base_amount is None or (unit and row.base_unit != unit):
        return None
    value = row.base_amount
    return {
        "above": value > amount,
        "above_or_equal": value >= amount,
        "below": value < amount,
        "below_or_equal": value <= amount,
    }[direction]


def _above(places: Sequence[str], found: Mapping[str, Target], form: Form) -> list[str]:
    """Headings and places: those meeting the condition, those not, those not comparable."""
    assert form.threshold is not None
    groups: dict[bool | None, list[str]] = {True: [], False: [], None: []}
    for p in places:
        if p in found:
            groups[_passes(found[p], form.threshold)].append(p)
    layout = ["符合所问条件的：" + ("" if groups[True] else "无"), *groups[True]]
    if groups[False]:
        layout += ["不符合的：", *groups[False]]
    if groups[None]:
        layout += ["单位不同、无法比较的：", *groups[None]]
    return layout


def _year_line(doc: Document, limit: int) -> Citation | None:
    """The line of a document that states its year (its title or date line), cited."""
    if doc.year is None:
        return None
    at = doc.text.find(f"{doc.year}年")
    if at < 0:
        return None
    start = doc.text.rfind("\n", 0, at) + 1
    end = doc.text.find("\n", at)
    end = len(doc.text) if end < 0 else end
    end = min(end, start + limit)
    return citation(doc, None, start, end)


def _trend(
    question: str,
    loaded: Loaded,
    rows: Sequence[Target],
    asked: str,
    stance: str | None,
    named: list[Place],
    limit: int,
    allowed: frozenset[str] | None,
) -> Answer | None:
    """One cited row per year for one place; a year of its documents without the figure is
    listed as 「未提及」 with the line that dates the document."""
    place = named[0] if named else NATIONAL
    docs = loaded.index.documents
    own_docs = [
        d
        for d in docs.values()
        if d.region
        and (allowed is None or d.doc_id in allowed)
        and place_of(d.region, d.region_level) == place
    ]
    if not own_docs:
        return None
    own_ids = {d.doc_id for d in own_docs}
    matching = [r for r in _matching(rows, asked, question, (), stance) if r.doc_id in own_ids]
    by_year: dict[int, list[Target]] = {}
    for row in matching:
        if row.year is not None:
            by_year.setdefault(row.year, []).append(row)
    lines: list[str] = []
    cites: list[Citation] = []
    table: list[tuple[str, str, int]] = []
    doc_years = {d.year for d in own_docs if d.year is not None}
    for year in sorted(set(by_year) | doc_years):
        if year in by_year:
            row = _best(by_year[year], asked, stance)
            text, cite = _cite(row, docs[row.doc_id], limit)
            cites.append(cite)
            label = row.period or f"{year}年"
            lines.append(f"{label}：{text}【{len(cites)}】")
            table.append((label, text, len(cites)))
        else:
            doc = next(d for d in own_docs if d.year == year)
            dated = _year_line(doc, limit)
            if dated is None:
                continue
            cites.append(dated)
            lines.append(f"{year}年：未提及【{len(cites)}】")
            table.append((f"{year}年", "未提及", len(cites)))
    if not by_year:
        return None
    return Answer(question, "\n".join(lines), False, tuple(cites), qtype="table", rows=tuple(table))
