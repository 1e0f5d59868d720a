"""Figures in a sentence and the words that are their own (what each figure measures).

A figure's own words run from the end of the previous figure or clause mark up to it, and on to
the next clause mark or figure after it: Chinese puts the measured noun before a figure as often
as after it (「新增高新技术企业1500家」, 「培育30家拟上市科技企业」). A figure closed by 、 or a
clause mark owns no words after it (「高新技术企业1500家、瞪羚企业200家」). Offsets are into the
text given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.lang.measures import UNITS, YEARLIKE
from rag.lang.text import INTERROGATIVE, numbers, synonyms, word_spans

# a figure: digits (a range of two), a 万/亿 multiple, its unit, and a unit it may also be
# counted in written in brackets after it (「7万套（间）」: flats or rooms), then a bound
FIGURE = re.compile(
    r"(?<![\d.])\d+(?:\.\d+)?(?:%?\s*[-~～—－至到]\s*\d+(?:\.\d+)?)?"
    r"(?:万|亿|千|百)?"
    rf"(?:(?:{UNITS})(?:[（(](?:{UNITS})[）)])?)?"
    r"(?:以上|左右|以内|以下|多|余)?"
)

YEAR_RANGE = re.compile(r"(?:19|20)\d\d\s*[-~～至到]\s*(?:19|20)\d\d")

# a day or month of the calendar (9月27日, 1—5月, 6月底) is a date, not a quantity; 3个月 is one
DATE = re.compile(
    r"(?<![\d.])(?:1[0-2]|0?[1-9])\s*(?:[-—–~～至到]\s*(?:1[0-2]|0?[1-9])\s*)?月"
    r"(?:\s*(?:3[01]|[12]\d|0?[1-9])\s*[日号])?"
)

CLAUSE_END = re.compile(r"[，,；;。！？!?：:\n]")

_LATIN = re.compile(r"[A-Za-z]")


def _glued(text: str, m: re.Match[str]) -> bool:
    """Whether a number names something (PM2.5, G60, 5G, C919, 青薯9号) rather than counts it:
    Latin letters before the number, one digit with letters right after it (5G, 3D, 4K), or
    号 after it (a serial number). Letters after a longer number or a magnitude are its unit
    (8400P, 15EFlops, 20万P: see `_unit_tail`)."""
    if m.start() > 0 and _LATIN.match(text, m.start() - 1):
        return True
    digits = re.match(r"\d+(?:\.\d+)?", m.group())
    if digits is None:
        return False
    if text[m.start() + digits.end() : m.start() + digits.end() + 1] == "号":
        return True  # a serial number names something (青薯9号, 3号线), it counts nothing
    if _LATIN.match(text, m.start() + digits.end()) is None:
        return False
    return digits.group().isdigit() and len(digits.group()) == 1


# a figure the unit list does not close (it ends in a digit or a magnitude) takes as its unit
# the Latin word glued to it (15EFlops, 20万P) or the one character that ends its clause or item
# (105款、 79.3岁。): the measure word of a count is whatever the writer put there, and no list
# of them is complete. One character only: a Chinese classifier is one (款 岁 席 位 座), while
# two characters after a magnitude are as often a noun (突破5万关口、…)
_OPEN_END = re.compile(r"[\d万亿千百]$")
_UNIT_TAIL = re.compile(
    r"[A-Za-z]+(?:/[A-Za-z]+)?(?![\dA-Za-z])"
    r"|[\u4e00-\u9fff](?=[、，,；;。！？!?：:）)\s]|$)"
)


def _unit_tail(text: str, end: int, written: str) -> int:
    """Where a figure ends once its unit is read: `end`, or after the unit written after it."""
    if not _OPEN_END.search(written):
        return end
    tail = _UNIT_TAIL.match(text, end)
    return tail.end() if tail else end


# a figure's own words end at these marks: they close an enumeration item or a clause
_CLOSING = "、,,;;。"


@dataclass(frozen=True)
class FigureAt:
    """One figure of a text: its span (`start`, `end`, the figure as written) and the span of
    its own words around it (`left` .. `start` before it, `after` .. `right` after it)."""

    start: int
    end: int
    left: int
    after: int
    right: int

    def words(self, text: str) -> str:
        """The figure's own words without the figure: what it measures."""
        return (text[self.left : self.start] + text[self.after : self.right]).strip()


def figure_spans(text: str) -> list[FigureAt]:
    """Every figure of the text that is a quantity (not a year, a year range or an outline
    number such as 「10.」), with its own words."""
    years = [m.span() for m in YEAR_RANGE.finditer(text)]
    years += [m.span() for m in DATE.finditer(text)]
    # a year is no figure, and does not bound one's words either: 「由2007年的1.4%」 is worded
    # by everything since the clause began
    matches = [
        m
        for m in FIGURE.finditer(text)
        if not any(s <= m.start() < e for s, e in years)
        and not _glued(text, m)
        and not YEARLIKE.fullmatch(m.group().rstrip("年"))
    ]
    # where each figure ends once its unit is read (see _unit_tail); FIGURE never ends in a space
    ends = [_unit_tail(text, m.end(), m.group()) for m in matches]
    found: list[FigureAt] = []
    for i, m in enumerate(matches):
        if m.start() == 0 and text[m.end() : m.end() + 1] in (".", "．", "、"):
            continue
        left_from = ends[i - 1] if i else 0
        left = max([left_from] + [x.end() for x in CLAUSE_END.finditer(text, 0, m.start())])
        while left < m.start() and text[left] in _CLOSING + " ":
            left += 1  # the mark that closed the previous item is not this figure's word
        end = ends[i]  # its own words after it start where its unit ends
        right_to = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        stop = CLAUSE_END.search(text, end)
        right = min(right_to, stop.start() if stop else right_to)
        if text[end : end + 1] in _CLOSING:
            right = end
        found.append(FigureAt(m.start(), end, left, end, right))
    return found


_ITEM_MARK = re.compile(r"、")


def respective_words(text: str, found: list[FigureAt]) -> dict[int, str]:
    """For figures given 「分别」 to a list of items, the words each one owns: its item with the
    list's shared rest (「交通、水利、能源、市政领域投资分别达2300亿元、600亿元、…」: 600亿元 is
    水利领域投资), and the verb after 分别 (「分别减少3%左右和5%左右」: each is a 减少), keyed by
    the figure's index in `found`. Only when the items and the figures after 分别 in its clause
    are as many; items are parted by 、, the last two also by 和/及/与 (「能耗和二氧化碳排放分别
    降低16%和17%」). The shared rest is what the last item holds beyond its own name
    (_shared_rest)."""
    out: dict[int, str] = {}
    for m in re.finditer("分别", text):
        start = max([0] + [x.end() for x in CLAUSE_END.finditer(text, 0, m.start())])
        stop = CLAUSE_END.search(text, m.end())
        end = stop.start() if stop else len(text)
        after = [n for n, f in enumerate(found) if m.end() <= f.start < end]
        items = [w.strip() for w in _ITEM_MARK.split(text[start : m.start()]) if w.strip()]
        if items and len(items) + 1 == len(after):
            last = [w for w in _LAST_JOIN.split(items[-1], maxsplit=1) if w]
            items = items[:-1] + last
        if len(items) < 2 or len(after) != len(items):
            continue
        shared = _shared_rest(items)
        # the verb between 分别 and the first figure is each item's (分别减少3%和5%)
        verb = text[m.end() : found[after[0]].start].strip()
        for k, (n, item) in enumerate(zip(after, items, strict=True)):
            out[n] = (item if k == len(items) - 1 else item + shared) + verb
    return out


def _shared_rest(items: list[str]) -> str:
    """What the last item of a 分别 list holds beyond its own name, which every item shares.

    Parallel items end alike (「清洁能源、新能源装机占比」, 「农业、工业、服务业领域投资」): where
    the others all end in one character, the last item's name ends at the first word that ends
    in it too. Otherwise the last item is as long as the shortest item between the first and
    the last (the first may carry a lead-in such as 全年), where a word begins there. Either way
    「二氧化碳排放量」 after 「用水量、能耗」 is an item of its own, not 二氧 + 化碳排放量."""
    last = items[-1]
    starts = [start for start, _end in word_spans(last) if 0 < start < len(last)]
    endings = {w[-1] for w in items[:-1]}
    if len(endings) == 1:
        alike = [start for start in starts if last[start - 1] in endings]
        if alike:
            return last[alike[0] :]
    own = min(len(w) for w in (items[1:-1] or items[:1]))
    return last[own:] if own in starts else ""


# the join before the last item of a list: 「能耗和二氧化碳排放」
_LAST_JOIN = re.compile(r"和|及|与")


_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|\"[^\"]*\"")
_SENTENCES = re.compile(r"[^。？?！!]+[。？?！!]*")


def literal_figures(question: str) -> list[str]:
    """Figures the question quotes (「2500亿元是哪个省的目标?」), years aside, and figures
    that are part of a wording with synonyms (「100强」 is also written 百强).

    Of a question asking a figure, not those inside quotation marks, a name or a claim
    (「建强“6+1”科技创新平台」, 「有稿子写“赤字率按3%安排”」), nor those of a sentence that asks
    nothing when another one asks (「…目标是多少家？我稿子里写的是1万家」): the claim to check
    is no words of the answer."""
    text = question
    if re.search(r"多少|几", question):
        # a figure asked: the figures quoted or in a sentence that asks nothing are claims;
        # asked which place or document, a quoted figure identifies it (「“2500亿元”是哪个省的」)
        text = _QUOTED.sub(" ", text)
        sentences = _SENTENCES.findall(text)
        if any(INTERROGATIVE.search(s) for s in sentences):
            text = " ".join(s for s in sentences if INTERROGATIVE.search(s))
    text = re.sub(r"(?:19|20)\d\d\s*年", " ", text)
    for key in synonyms():
        if key in text and numbers(key):
            text = text.replace(key, " ")
    return [n for n in numbers(text) if not YEARLIKE.fullmatch(n)]


def holds_figures(text: str, figures: set[str]) -> bool:
    """Whether the text states every one of the figures (as literal_figures gives them), each
    as a number of its own: 5 is not in 2025."""
    return not figures or figures <= set(numbers(text))


# a stretch target joined to a figure (「增长15%以上、力争达到20%」): the plan's words for one more
# figure of the same thing (rag.lang.periods.PLAN_WORDS' 力争, and 争取)
_STRETCH = re.compile(r"[、，]\s*(?:力争|争取)(?:达到|实现|突破|超过)?\s*")
_BOUNDS = re.compile(r"[\d.]+|以上|左右|以内|以下")


def stretch_end(text: str, start: int, end: int) -> int:
    """Where the figure text[start:end] ends with the stretch target joined to it in the same
    unit (「15%以上、力争达到20%」 -> after 20%), or `end` when none is."""
    joined = _STRETCH.match(text, end)
    unit = _BOUNDS.sub("", text[start:end])
    if joined is None or not unit:
        return end
    more = re.compile(r"[\d.]+" + re.escape(unit) + r"(?:以上|左右)?").match(text, joined.end())
    return more.end() if more else end
