"""The form of a question across places or years (each place's X, which places X > v, rank by X,
X over the years) and the indicator it asks about, read from its wording: each pattern names a
form, never a topic."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from rag.answer.question import _ASKING_WORDS
from rag.lang.measures import UNITS
from rag.lang.periods import TREND
from rag.lang.places import Place, find_places
from rag.targets.figures import base_unit
from rag.targets.indicator import normalise_indicator, strip_back, strip_front

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
# a level word followed by 级 is a grade (所有地级以上城市, 各省级部门), not the places asked over
_EACH = re.compile(
    r"各(?:个)?" + _LEVEL_WORD + r"(?!级)|(?:每个|所有|全部)" + _LEVEL_WORD + r"(?!级)"
)
_WHICH = re.compile(r"哪(?:些|几个)" + _LEVEL_WORD)
_WHICH_ONE = re.compile(r"哪(?:个|一个)" + _LEVEL_WORD)
# the places asked over named before the question word (「在这些省份里，哪些…」, 「各省中谁…最低」)
_AMONG = re.compile(r"(?:这些|这几个|所有|全部|各)个?" + _LEVEL_WORD + r"(?:里|中|当中|之中)")
_WHICH_AMONG = re.compile(r"哪些|哪几")
_ONE_AMONG = re.compile(r"谁|哪个|哪一个")
# a superlative asks for a ranking when it closes the question (「…目标最高?」, 「最多的是」),
# not when it describes a thing (「全球最大冰雪主题乐园」)
RANKING = re.compile(r"排名|排序|排行|最(?:高|低|多|少|大|小)(?=的?(?:是|[?？。，,]|$))")
_ASCENDING = re.compile(r"最低|最少|最小|从低到高|从小到大")
_ABOVE_WORDS = "超过|高于|大于|多于|不低于|不少于|达到"
_BELOW_WORDS = "低于|少于|小于|不到|不足"
# a bound after the figure: 以上, 及以上, 或更高 (「定在6%或更高」) and their opposites; a
# comparison around it: 「比5.5%更低」
_SIDE_ABOVE = "以上|及以上|或以上|或更高|或更多|或更大"
_SIDE_BELOW = "以下|及以下|或以下|或更低|或更少|或更小"
_THAN_ABOVE = "高|多|大"
_THAN_BELOW = "低|少|小"
_THRESHOLD = re.compile(
    rf"(?P<than>比)?(?P<verb>{_ABOVE_WORDS}|{_BELOW_WORDS})?\s*"
    rf"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>(?:万亿|亿|万|千)?(?:{UNITS})?)\s*"
    rf"(?:(?P<side>{_SIDE_ABOVE}|{_SIDE_BELOW})|(?(than)(?:还|更)?(?P<compared>{_THAN_ABOVE}|{_THAN_BELOW})))?"
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
    among = _AMONG.search(question)
    if among is not None and scope is None and one is None:
        after = question[among.end() :]
        scope = _WHICH_AMONG.search(after) and among
        one = _ONE_AMONG.search(after) and among if scope is None else None
    word = scope or one
    levels = _LEVELS.get(next(g for g in word.groups() if g), _ANY_LEVEL) if word else ()
    if scope is not None:
        threshold = _threshold(question)
        if threshold is not None:
            return Form("above", levels, threshold)
    if (scope is not None or one is not None) and RANKING.search(question):
        return Form("rank", levels, ascending=bool(_ASCENDING.search(question)))
    if _EACH.search(question):
        return Form("each", levels)
    if scope is None and one is None and TREND.search(question):
        return Form("trend")
    return None


def _threshold(question: str) -> tuple[float, str, str] | None:
    for m in _THRESHOLD.finditer(question):
        if re.fullmatch(r"(?:19|20)\d\d", m.group("num")) and question[m.end("num") :].startswith(
            "年"
        ):
            continue
        verb, side, compared = m.group("verb"), m.group("side"), m.group("compared")
        if not verb and not side and not compared:
            continue
        unit, scale = base_unit(m.group("unit") or "")
        if compared:
            direction = "above" if compared in _THAN_ABOVE.split("|") else "below"
        elif verb:
            strict = verb in ("超过", "高于", "大于", "多于", "低于", "少于", "小于")
            direction = ("above" if verb in _ABOVE_WORDS.split("|") else "below") + (
                "" if strict else "_or_equal"
            )
        else:
            direction = "above_or_equal" if side in _SIDE_ABOVE.split("|") else "below_or_equal"
        return float(m.group("num")) * scale, unit, direction
    return None


def asked_indicator(question: str, extra: Sequence[Place] = ()) -> str:
    """The indicator a question asks about: what is left of it without its places, years, form,
    stance and asking words, normalised as rows are (「各省2025年研发投入强度目标分别是多少?」 ->
    研发投入强度)."""
    text = question
    for pattern in (_EACH, _WHICH, _WHICH_ONE, _AMONG, RANKING, TREND, _ASCENDING):
        text = pattern.sub(" ", text)
    for m in reversed(list(_THRESHOLD.finditer(text))):
        if m.group("verb") or m.group("side") or m.group("compared"):
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
