"""Follow-up questions resolved by slots: place, year, half-year, topic and the asking form.

「陕西省2022年技术合同成交额目标是多少?」 reads as place 陕西省, year 2022, topic 技术合同成交额 and
asking form 目标是多少. A follow-up fills the slots it lacks from the previous question and
replaces the ones it names: 「那研发经费呢?」 -> 「陕西省2022年研发经费目标是多少?」.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from rag.lang.normalize import FIGURE_UNITS, normalise_question
from rag.lang.places import Place, find_places, place_of
from rag.records import Document

# A follow-up is short; a longer question carries its own context and passes through unchanged.
MAX_FOLLOWUP_CHARS = 30

_UNIT = "|".join(FIGURE_UNITS)
_LEAD = re.compile(r"^\s*(?:那么|那在|那(?![些个里样])|还有|同样|再问|换成)")
_TRAIL = re.compile(r"呢\s*(?=[?]?\s*$)")
_YEAR = r"(?:19|20)\d\d"
# The asking form: the words that say what kind of answer is wanted, not what it is about.
_ASKING = re.compile(
    "|".join(
        (
            # a change against a baseline: 比2021年增长了多少, 较上年提高百分之几, 同比增长
            rf"(?:比|较|相比|相较于?|同比)(?:上年|去年|上一年|{_YEAR}\s*年)?(?:相比)?"
            r"(?:增长|提高|提升|下降|减少|增加|降低|多|少)了?(?:多少|几|百分之几)?(?:个百分点|倍|%)?",
            r"同比",
            # a question word with the verb before it and the unit after it: 新增多少家, 完成了哪些
            r"(?:(?:新增|完成|实现|达到|开展|安排|部署|提出|取得|建成|培育|引进|支持|突破|组织|招引"
            r"|增长|提高|下降|减少|增加|有|是|为|要|将|共|约)了?)?"
            rf"(?:多少|百分之几|哪几|哪些|哪个|哪项|哪一|哪|几|什么|怎样|怎么|如何)(?:{_UNIT})?",
            # 目标/计划 ask only before the figure or list they introduce, not in 科技计划项目
            r"(?:目标|计划|预计|要求)(?=是|为|要|将|达到|实现|完成|新|比|较|增长|提高|多少|哪|几|[?]|$)",
            r"是否|有没有|请问|分别|吗",
        )
    )
)
# a question whose answer is a place: the previous question's place must not be forced on it
_ASKS_PLACE = re.compile(r"哪(?:个|些|一)?(?:省|市|城市|地区|地方|县|区|里)|各(?:省|市|地)")
_YEAR_SLOT = re.compile(rf"({_YEAR})\s*年|\(({_YEAR})\)")
_HALF = re.compile(r"[上下]半年")
# a place neither the gazetteer nor the corpus knows, named with its level and opening the
# question (青山市, 青川省): still a place, so the follow-up is scoped to it, not asked as a topic
_NAMED_PLACE = re.compile(r"(?![哪各全本该我某每其])[\u4e00-\u9fff]{2,4}?(?:省|市|自治区|县)")
# words left at the edge of a topic that belong to the sentence, not to the thing asked about
_EDGE = "的了在和与及是有年中里"


class PastTurn(Protocol):
    """What follow-up resolution reads of an earlier turn (rag.service.Turn has it)."""

    @property
    def question(self) -> str: ...


@dataclass(frozen=True)
class Span:
    """A slot's value and where it is written in the question."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Slots:
    """What a (normalised) question says, slot by slot.

    `region` is the place `place` names; `places` counts the distinct places named; `marked` says
    it is written as a follow-up (那…, …呢); `body` is the question inside that wrapping and
    `wrapping` the edits that drop it.
    """

    text: str
    place: Span | None = None
    region: Place | None = None
    year: Span | None = None
    half: Span | None = None
    topic: Span | None = None
    asking: tuple[Span, ...] = ()
    places: int = 0
    marked: bool = False
    asks_place: bool = False
    body: tuple[int, int] = (0, 0)
    wrapping: tuple[tuple[int, int, str], ...] = ()

    @property
    def year_digits(self) -> str | None:
        """The year slot as its four digits."""
        return self.year.text.strip("()年 ")[:4] if self.year else None


def corpus_places(documents: Mapping[str, Document]) -> tuple[Place, ...]:
    """The places the documents are about, as the gazetteer knows them (or as written)."""
    return tuple({place_of(d.region, d.region_level) for d in documents.values() if d.region})


def parse_slots(question: str, known: Iterable[Place] = ()) -> Slots:
    """Read the slots of a normalised question; `known` adds places the gazetteer lacks."""
    text = question
    lead = _LEAD.match(text)
    trail = _TRAIL.search(text, lead.end() if lead else 0)
    start = lead.end() if lead else 0
    end = trail.start() if trail else len(text)
    taken = [not start <= i < end for i in range(len(text))]

    def claim(m: re.Match[str] | None) -> Span | None:
        """The match as a span, unless another slot already holds part of it."""
        if m is None or not m.group() or any(taken[m.start() : m.end()]):
            return None
        taken[m.start() : m.end()] = [True] * (m.end() - m.start())
        return Span(m.group(), m.start(), m.end())

    # the asking form first: a year in 「比2021年增长」 is a baseline, not the question's year
    asking = [a for m in _ASKING.finditer(text, start, end) if (a := claim(m))]
    found: list[tuple[Span, Place]] = []
    for place, s, e in find_places(text, known):
        if start <= s and e <= end and not any(taken[s:e]):
            taken[s:e] = [True] * (e - s)
            found.append((Span(text[s:e], s, e), place))
    if not found and (named := claim(_NAMED_PLACE.match(text, start, end))):
        found.append((named, place_of(named.text)))
    first = min(found, key=lambda f: f[0].start, default=None)
    year = next((y for m in _YEAR_SLOT.finditer(text, start, end) if (y := claim(m))), None)
    half = next((h for m in _HALF.finditer(text, start, end) if (h := claim(m))), None)
    return Slots(
        text=text,
        place=first[0] if first else None,
        region=first[1] if first else None,
        year=year,
        half=half,
        topic=_topic(text, taken),
        asking=tuple(asking),
        places=len({place for _span, place in found}),
        marked=bool(lead or trail),
        asks_place=bool(_ASKS_PLACE.search(text)),
        body=(start, end),
        wrapping=tuple((m.start(), m.end(), "") for m in (lead, trail) if m),
    )


def _topic(text: str, taken: list[bool]) -> Span | None:
    """The longest run of words no other slot claims: what the question is about."""
    best: Span | None = None
    for m in re.finditer(r"\w+", text):
        i = m.start()
        while i < m.end():
            if taken[i]:
                i += 1
                continue
            j = i
            while j < m.end() and not taken[j]:
                j += 1
            s, e = i, j
            while s < e and text[s] in _EDGE:
                s += 1
            while e > s and text[e - 1] in _EDGE:
                e -= 1
            if e - s >= 2 and (best is None or e - s >= len(best.text)):
                best = Span(text[s:e], s, e)
            i = j
    return best


def _fill(template: Slots, values: Mapping[str, str | None]) -> str:
    """The template's text with each slot set to its value and its 那…/…呢 wrapping dropped.

    A slot the template writes is replaced in place; one it lacks is inserted after the slot
    before it (place, year, half-year, topic), or at the start.
    """
    edits: list[tuple[int, int, str]] = list(template.wrapping)
    pending = ""
    at = template.body[0]
    for name in ("place", "year", "half", "topic"):
        span: Span | None = getattr(template, name)
        value = values[name]
        if span is None:
            pending += value or ""
            continue
        if pending:
            edits.append((at, at, pending))
            pending = ""
        if value is not None and value != span.text:
            # a year keeps the form it was written in: (2022) stays in brackets
            new = re.sub(r"\d{4}", value[:4], span.text) if name == "year" else value
            edits.append((span.start, span.end, new))
        at = span.end
    if pending:
        edits.append((at, at, pending))
    text = template.text
    # right to left, a replacement before an insertion at the same place
    for s, e, value in sorted(edits, key=lambda edit: (edit[0], edit[1]), reverse=True):
        text = text[:s] + value + text[e:]
    return text.strip()


def _plan_year(place: Place, documents: Mapping[str, Document]) -> str | None:
    """The one plan year of the place's documents, or None when it has none or several."""
    years = {
        d.year
        for d in documents.values()
        if d.region and d.year and place_of(d.region, d.region_level) == place
    }
    return str(years.pop()) if len(years) == 1 else None


def rewrite_followup(
    question: str, history: Sequence[PastTurn], documents: Mapping[str, Document]
) -> str:
    """Turn a follow-up into a full question using the previous (resolved) question's slots.

    Slots the follow-up lacks (place, year, half-year, topic) are inherited; slots it names
    replace the old ones; its own asking form wins when it has one, else the previous question's
    form is kept. A new place with one plan year brings that year. A question with its own
    topic and no follow-up marker (那…, …呢), a complete one (place, topic and asking form), one
    asking which place, one naming several places, or a long one passes through unchanged.
    """
    if not history or len(question) > MAX_FOLLOWUP_CHARS:
        return question
    known = corpus_places(documents)
    new = parse_slots(normalise_question(question), known)
    if new.asks_place or new.places > 1:
        return question
    if new.topic and (not new.marked or (new.place and new.asking)):
        return question
    old = parse_slots(normalise_question(history[-1].question), known)
    year = new.year_digits
    if year is None and new.region and old.year:
        year = _plan_year(new.region, documents)
    values: dict[str, str | None] = {
        "place": new.place.text if new.place else None,
        "year": f"{year}年" if year else None,
        "half": new.half.text if new.half else None,
        "topic": new.topic.text if new.topic else None,
    }
    if new.asking:
        # 「比2021年增长了多少?」 after a 2021 question compares 2021 with its own baseline: the
        # year the follow-up compares against is not inherited as the question's year
        baselines = {y for a in new.asking for y in re.findall(_YEAR, a.text)}
        inherited = {
            "place": old.place.text if old.place else None,
            "year": f"{old.year_digits}年"
            if old.year and old.year_digits not in baselines
            else None,
            "half": old.half.text if old.half else None,
            "topic": old.topic.text if old.topic else None,
        }
        for name, value in inherited.items():
            if values[name] is None:
                values[name] = value
        return _fill(new, values)
    return _fill(old, values)
