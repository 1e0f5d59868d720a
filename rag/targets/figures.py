"""The figures of a sentence as the targets table reads them: digits with unit and bound
(rag.lang.figures.figure_spans, the spans rag.answer.spans.figures scores), ranks (第2位),
ranges (6.5%－7%) and Chinese numerals before a unit (三百家); units in base units (万家 -> 家 ×
1e4); figures listed one after another."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.answer.spans import CLAUSE_END, Sentence
from rag.lang.figures import figure_spans
from rag.lang.measures import COUNTERS, UNITS
from rag.lang.normalize import _FIGURE as CN_FIGURE
from rag.lang.normalize import FIGURE_UNITS, _number
from rag.lang.places import _words
from rag.lang.tags import tagged
from rag.targets.indicator import BOUND_BEFORE
from rag.targets.phrase import nominal_start

_UNIT_SET = frozenset(UNITS.split("|"))
_MULTIPLIERS = (("万亿", 1e12), ("亿", 1e8), ("万", 1e4), ("千", 1e3), ("百", 1e2))
_PARTS = re.compile(
    # a range is one figure (6.5-7%, and 6.5%－7% with the unit after both numbers)
    r"^(?P<num>\d+(?:\.\d+)?)(?:\s*[%％]?\s*[-~～至到—－–]\s*\d+(?:\.\d+)?)?"
    r"(?P<unit>.*?)(?P<bound>以上|左右|以内|以下|多|余)?$"
)
_AFTER_BOUND = re.compile(r"(以上|左右|以内|以下|多|余)")
# a figure's clause ends at a clause mark or at 、 (「新增…1500家、瞪羚企业200家」)
CLAUSE_OR_LIST = re.compile(CLAUSE_END.pattern[:-1] + "、]")
# durations are not an indicator's value (「用3年时间」, 「15分钟生活圈」, 「240小时过境免签」)
_DURATIONS = frozenset({"年", "年时间", "个月", "小时", "分钟", "秒"})
# classifiers (量词) that count things, from rag.lang.measures' counters: a figure with one of them
# may stand before its noun
COUNTED = frozenset(COUNTERS) | {
    "人次",
    "场次",
    "处",
    "部",
    "辆",
    "张",
    "头",
    "篇",
    "列",
    "只",
    "例",
}


@lru_cache(maxsize=1024)
def base_unit(unit: str) -> tuple[str, float]:
    """(unit without its 万/亿 multiple, the multiple): 万家 -> (家, 1e4); 千瓦 stays 千瓦; a
    unit the count may also be in, bracketed after it, is left out (万套（间） -> (套, 1e4))."""
    unit = re.sub(r"[（(][^）)]*[）)]$", "", unit.strip())
    scale = 1.0
    changed = True
    while changed:
        changed = False
        for prefix, factor in _MULTIPLIERS:
            rest = unit[len(prefix) :]
            if unit.startswith(prefix) and (not rest or rest in _UNIT_SET):
                unit, scale, changed = rest, scale * factor, True
                break
    return ("%" if unit == "％" else unit), scale


@dataclass(frozen=True)
class Figure:
    start: int  # offsets in the sentence
    end: int  # end of the value (before a bound written after it); end + len(bound) ends it
    value: str
    amount: float | None
    unit: str
    bound: str
    rank: bool
    numeral: str | None = None  # a Chinese numeral's figure in digits, for its measure


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _names_a_class(text: str, end: int, unit: str) -> bool:
    """A figure before 级 names a class (「400亿级产业名镇」, 「百万千瓦级水电站」, 「7.1级地震」),
    and one before 强 a ranked list (「上榜中国民营企业500强」, 「跻身全国30强」): not a quantity
    of the plan (the firms counted are)."""
    return unit.endswith(("级", "强")) or text[end : end + 1] == "级"


# digits that name a class with 级 or a list with 强 after their magnitude (「100亿级」, 「500强」)
_CLASS_DIGITS = re.compile(r"\d+(?:\.\d+)?[十百千万亿]*[级强]")
# a designation: digits right after a hyphen that follows a letter or a character (「歼-35A」)
_DESIGNATION = re.compile(r"[A-Za-z\u4e00-\u9fff][-－]$")


def class_end(text: str, at: int) -> int:
    """Where a class written in digits that starts at `at` ends (「3个|100亿级|产业名镇」:
    _names_a_class, no row of its own); `at` when none starts there."""
    m = _CLASS_DIGITS.match(text, at)
    return m.end() if m else at


def _digit_figures(sentence: Sentence) -> list[Figure]:
    out = []
    text = sentence.text
    # the spans alone: rag.answer.spans.figures also scores each figure's words against a
    # question, and tags them to tell a restated figure (tagging every clause of the corpus)
    for span in figure_spans(text):
        at, written = span.start, text[span.start : span.end]
        parts = _PARTS.match(written)
        if parts is None:
            continue
        unit, bound = parts.group("unit").strip(), parts.group("bound") or ""
        value = written[: len(written) - len(bound)]
        if _names_a_class(text, at + len(written), unit) or _DESIGNATION.search(text, 0, at):
            continue
        rank = text[:at].rstrip().endswith("第")
        after = text[at + len(written) : at + len(written) + 1]
        if rank and (unit not in ("", "位", "名") or (_CJK.match(after) and after not in "位名")):
            continue  # 「第4批」, 「第8.6代」: an ordinal in a name, not a rank
        if rank:
            # 「居全国第2位」: the rank is cited as written, 第 and 位 included
            tail = re.match(r"[位名]", text[at + len(value) :])
            unit = tail.group() if tail else ""
            first = text.rfind("第", 0, at)
            value = text[first : at + len(value)] + unit
            at = first
        elif not unit or unit in _DURATIONS:
            continue
        elif not bound and not base_unit(unit)[0]:
            # a magnitude that opens a longer classifier word (750「千伏」): the word is the unit
            word = _classifier_at(text, at + len(value) - len(unit))
            if len(word) > len(unit) and word.startswith(unit):
                value, unit = value + word[len(unit) :], word
            else:
                unit += counted_noun(text, at + len(value))
        elif bound in _BETWEEN and not base_unit(unit)[0]:
            # 「3.2万余处」, 「4万多亿元」: the bound stands between the magnitude and the rest of
            # the unit, which is the figure's unit too (万处, 万亿元); the value is written whole,
            # its end before the bound's length so that end + len(bound) is where it ends
            rest = unit_after(text, at + len(written))
            if rest:
                value, unit = written + rest, unit + rest
                end = at + len(value) - len(bound)
                out.append(Figure(at, end, value, float(parts.group("num")), unit, bound, rank))
                continue
        out.append(Figure(at, at + len(value), value, float(parts.group("num")), unit, bound, rank))
    return _ranges(text, out)


# the bounds that may stand between a magnitude and the rest of its unit (3.2万「余」处)
_BETWEEN = ("余", "多")


def unit_after(text: str, at: int) -> str:
    """The unit written at `at` (a unit of rag.lang.measures or a counter, the longest), when it
    is a word of its own there, not the start of a longer word (「3万多家庭」: 家庭)."""
    unit = max((u for u in _UNIT_SET | COUNTED if text.startswith(u, at)), key=len, default="")
    if unit and _words(text).get(at, at + len(unit)) > at + len(unit):
        return ""
    return unit


def counted_noun(text: str, at: int) -> str:
    """The counter a magnitude alone counts in (「78万农牧户」: 户, 「13亿中国人」: 人): the noun
    phrase right after the figure closes with a counter standing as a word of its own
    (rag.lang.measures' counters; 农牧|户, 中国|人), the unit of what is counted; "" when it
    does not (「6069万农民」, 「158万残疾人」: one word, the counted noun its own unit)."""
    if not _CJK.match(text, at):
        return ""
    tags = tagged(text[at : at + _NOUN_WINDOW])
    for n, (word, flag) in enumerate(tags):
        if n and len(word) == 1 and word in COUNTED:
            after = tags[n + 1][1] if n + 1 < len(tags) else ""
            return "" if after[:1] == "n" else word
        if flag in ("vn", "an", "m") or not (flag[:1] == "n" or flag == "j"):
            return ""
    return ""


# characters enough to hold the noun phrase a magnitude alone counts (农牧户, 中国人)
_NOUN_WINDOW = 6


def _classifier_at(text: str, at: int) -> str:
    """The dictionary word that starts at `at` when jieba's dictionary tags it a classifier
    (q: 千伏, 千克); "" otherwise."""
    if not _CJK.match(text, at):
        return ""
    word, flag = tagged(text[at : at + _CLASSIFIER_WINDOW])[0]
    return word if flag == "q" else ""


# characters enough to hold a classifier word (千瓦时, 平方公里)
_CLASSIFIER_WINDOW = 6
_RATE_UNITS = frozenset({"%", "个百分点", "百分点", "倍"})


def _ranges(text: str, found: list[Figure]) -> list[Figure]:
    """Two figures joined by a dash are one range (「6.5%－7%」: rag.answer.spans reads only ASCII
    dashes, 至 and 到 as one)."""
    out: list[Figure] = []
    for fig in found:
        last = out[-1] if out else None
        gap = text[last.end + len(last.bound) : fig.start] if last else ""
        if last is not None and not last.rank and re.fullmatch(r"\s*[－—–\-~～]\s*", gap):
            value = text[last.start : fig.end]
            out[-1] = Figure(last.start, fig.end, value, last.amount, fig.unit, fig.bound, False)
        else:
            out.append(fig)
    return out


def _numeral_figures(text: str, taken: list[Figure]) -> list[Figure]:
    """Chinese numerals before a unit (三百家, 两千亿元), read with cn2an."""
    out = []
    for m in CN_FIGURE.finditer(text):
        numeral = m.group(1)
        if len(numeral) < 2 or not re.search("[十百千万亿]", numeral):
            continue
        if any(f.start <= m.start() < f.end for f in taken):
            continue
        after = text[m.end() :]
        more = re.match(r"[多余]?", after)
        lead = more.group() if more else ""
        unit = next((u for u in FIGURE_UNITS if after[len(lead) :].startswith(u)), "")
        if _names_a_class(text, m.start() + len(numeral + lead + unit), unit):
            continue
        at_unit = m.start() + len(numeral + lead)
        if unit and _words(text).get(at_unit, at_unit + len(unit)) > at_unit + len(unit):
            continue  # 「近千万家庭」: 家 begins the word 家庭, it is no unit
        head = numeral.rstrip("万亿")
        if numeral[len(head) :] not in ("", "万", "亿", "万亿"):
            head = numeral  # 「千千万万」: no magnitude of a number
        # the magnitude after the number belongs to the unit, as with digits (两千亿元: 2000,
        # unit 亿元, like 2000亿元); a magnitude with no digit before it is one of itself
        # (千亿元: 1000 亿元, 万亿元: 1 万亿元)
        number = _ONE_OF.get(head) or (read_numeral(head) if head else None)
        value = numeral + lead + unit
        unit = numeral[len(head) :] + unit
        amount = float(number) if number else None
        bound = _AFTER_BOUND.match(text[m.start() + len(value) :])
        out.append(
            Figure(
                m.start(),
                m.start() + len(value),
                value,
                amount,
                unit,
                bound.group() if bound else "",
                False,
                f"{amount:g}{unit}" if amount is not None else None,
            )
        )
    return out


_ONE_OF = {"": "1", "十": "10", "百": "100", "千": "1000"}
_TENS = re.compile("[一二三四五六七八九]?十[一二三四五六七八九]?")
_DIGIT_VALUES = {c: str(i) for i, c in enumerate("一二三四五六七八九", 1)}
_UNITS_ONLY = re.compile("[十百千万亿]{1,4}")
# the units-only numerals cn2an reads as a number besides 十: 十万, 十亿, 十万亿
_TEN_MAGNITUDE = re.compile("十[万亿]")


def read_numeral(numeral: str) -> str | None:
    """A numeral in digits as rag.lang.normalize._number reads it with cn2an (「三百五十」 ->
    「350」; None when cn2an cannot read it), without importing cn2an (~0.2 s of regexes) for
    the forms the corpus mostly writes: 十 to 九十九, and units with no digit (千, 百, 千千万万:
    None, as cn2an; only 十 alone is 10, and 十万/十亿 are left to cn2an). tests/test_targets.py
    checks every such form against cn2an."""
    if _TENS.fullmatch(numeral):
        tens, _ten, ones = numeral.partition("十")
        return str(10 * int(_DIGIT_VALUES.get(tens, "1")) + int(_DIGIT_VALUES.get(ones, "0")))
    if _UNITS_ONLY.fullmatch(numeral) and not _TEN_MAGNITUDE.match(numeral):
        return "10" if numeral == "十" else None
    return _number(numeral)


def classes(text: str, found: list[Figure]) -> tuple[list[Figure], dict[int, int]]:
    """The figures that are quantities, and the spans (start -> end) of those that name a class
    inside a noun phrase instead (「红旗750千伏输变电工程」, 「7个750千伏输变电工程」): a figure in
    a unit that is none of a plan's measures (not a count, a rate or one of rag.lang.measures'
    units: a word the dictionary tags a classifier, 千伏) right before a noun, with no bound or
    的 between. The units of the plans' quantities are left out: a figure in them before a noun
    is as often the amount of that noun (「中央149.2亿元…补助资金」, 「新建1亿亩高标准农田」) as a
    class (「时速120公里路段」)."""
    quantities: list[Figure] = []
    spans: dict[int, int] = {}
    bounds = _class_bounds(text, found) if "%" in text or "％" in text else set()
    for fig in found:
        if fig.start in bounds:
            spans[fig.start] = fig.end + len(fig.bound)
            continue
        unit = base_unit(fig.unit)[0]
        if (
            fig.rank
            or fig.bound
            or not unit
            or unit in COUNTED
            or unit in _UNIT_SET
            or unit in _RATE_UNITS
            or tagged(unit) != ((unit, "q"),)
            or not _CJK.match(text, fig.end)
            or not nominal_start(text[fig.end : fig.end + _CLASSIFIER_WINDOW])
        ):
            quantities.append(fig)
        else:
            spans[fig.start] = fig.end
    return quantities, spans


# the bounds after a figure that make it the edge of a class (「30户以上自然村」), and the share
# words of rag.lang.measures (比重, 占比, 比例, a rate 率) a later figure of the clause states
_CLASS_BOUND = ("以上", "以下")
_SHARE_OF = re.compile(r"比重|占比|比例|率")
_PERCENT = ("%", "％")


def _class_bounds(text: str, found: list[Figure]) -> set[int]:
    """The starts of the figures that bound a class of things instead of stating a quantity:
    a figure with a bound (超/超过 before it, 以上/以下 after it) right before a noun, with or
    without 的, whose clause goes on to state that noun's share in a percentage of its own
    (「年收益超30万元村集体占比达20%」, 「收入10万元以上的村占比超过90%」: the villages above the
    line, 20% of all); and a bound listed right before such a one with 、, in its unit (「超10万元、
    超30万元村集体」: two classes of one noun)."""
    bounds: set[int] = set()
    for i in range(len(found) - 1, -1, -1):
        fig = found[i]
        if fig.rank or fig.unit in _PERCENT:
            continue
        bounded = fig.bound in _CLASS_BOUND or BOUND_BEFORE.search(text, 0, fig.start)
        if not bounded:
            continue
        at = fig.end + len(fig.bound)
        nxt = found[i + 1] if i + 1 < len(found) else None
        if nxt is None:
            continue
        gap = text[at : nxt.start]
        if (
            nxt.start in bounds
            and nxt.unit == fig.unit
            and re.fullmatch(r"、\s*(?:超过|超|逾)?", gap)
        ):
            bounds.add(fig.start)
            continue
        words = gap[1:] if gap.startswith("的") else gap
        if (
            nxt.unit in _PERCENT
            and not CLAUSE_OR_LIST.search(gap)
            and _SHARE_OF.search(words)
            and _opens_no_predicate(words[:_CLASSIFIER_WINDOW])
        ):
            bounds.add(fig.start)
    return bounds


# the word classes that open a predicate or a clause of its own, not a noun (jieba's tags:
# verbs, adverbs, prepositions, conjunctions, particles, numerals, classifiers, pronouns); a
# bound morpheme such as 村 (zg) opens a noun
_NOT_A_NOUN = ("v", "d", "p", "c", "u", "m", "q", "r", "x")


def _opens_no_predicate(text: str) -> bool:
    """The phrase opens with a word that can begin a noun (「村集体占比」), not a predicate."""
    words = [f for w, f in tagged(text) if w.strip()]
    return bool(words) and words[0][:1] not in _NOT_A_NOUN


def sentence_figures(sentence: Sentence) -> list[Figure]:
    """Every figure of the sentence (digits, then Chinese numerals the digits do not cover), in
    text order."""
    found = _digit_figures(sentence)
    found += _numeral_figures(sentence.text, found)
    found.sort(key=lambda f: f.start)
    return found


def figure_chain(text: str, fig: Figure, found: list[Figure]) -> list[Figure]:
    """The figures listed one after another with the figure (only 、/和 between them)."""
    chain: list[Figure] = []
    for f in found:
        gap = text[chain[-1].end + len(chain[-1].bound) : f.start] if chain else ""
        if chain and re.fullmatch(r"\s*[、和与及]\s*", gap):
            chain.append(f)
        elif f.start <= fig.start:
            chain = [f]
        else:
            break
    return chain if fig in chain else []


def later_in_clause(text: str, fig: Figure, found: list[Figure]) -> Figure | None:
    """The next figure when it stands in the same clause (no clause mark or 、 between)."""
    nxt = next((f for f in found if f.start > fig.start), None)
    gap = text[fig.end + len(fig.bound) : nxt.start] if nxt is not None else ""
    return nxt if nxt is not None and not CLAUSE_OR_LIST.search(gap) else None
