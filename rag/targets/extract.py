"""Every quantitative statement of a document as a row: who, when, what, how much, where.

A figure is what rag.answer.spans.figures finds in a sentence (digits with magnitude, unit and
bound; years, year ranges and outline numbers excluded), plus a Chinese numeral before a unit
(rag.lang.normalize's figure pattern, read with cn2an: 「新增三百家」). A figure without a unit is a
name or a date (5G, 3月5日, PM2.5), not a quantity, unless it is a rank (第2位); a duration
(3年) is not an indicator's value. Each row knows:

- place and level: the document's region (rag.lang.places), or a place inside it that the clause
  opens with (「西安市高新技术企业…」 in a provincial plan);
- year and stance: rag.lang.periods' period of the sentence (section cues plus the sentence's own
  「到2025年」): a plan is a target, a review a result;
- kind: rag.lang.measures.figure_measure (growth, share, count, money, rank, level);
- indicator: rag.targets.indicator (the noun phrase before the figure, normalised);
- value verbatim, unit as written and in base units (万/亿 multiples of rag.lang.measures.UNITS),
  bound (以上, 左右, 突破, 不少于 …), and the sentence's span: the quote is the document's
  text at [start, end) and contains the value at value_start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from rag.answer.question import Terms
from rag.answer.spans import (
    CLAUSE_END,
    Sentence,
    display_title,
    figures,
    safe_label,
    section_path_at,
)
from rag.index.chunking import sentence_spans
from rag.lang.measures import _COUNTERS, COUNT, LEVEL, RANK, UNITS, figure_measure
from rag.lang.normalize import _FIGURE as CN_FIGURE
from rag.lang.normalize import FIGURE_UNITS, _number
from rag.lang.periods import (
    PLAN,
    RESULT,
    Period,
    Segment,
    period_at,
    sentence_period,
    time_segments,
)
from rag.lang.places import Place, _words, contains, find_places, place_of
from rag.records import Chunk, Document, Hit
from rag.targets.indicator import (
    BOUND_BEFORE,
    RIGHT_PREDICATE,
    normalise_indicator,
    strip_back,
    strip_front,
    substantive,
)
from rag.targets.phrase import (
    ends_in_noun,
    head_noun,
    item_marks,
    leading_noun,
    names_a_thing,
    same_class,
)

LEVEL_NAMES = {
    "国家": "national",
    "省": "provincial",
    "市": "city",
    "县": "district",
    "区": "district",
}
STANCES = {PLAN: "target", RESULT: "result"}

_UNIT_SET = frozenset(UNITS.split("|"))
_MULTIPLIERS = (("万亿", 1e12), ("亿", 1e8), ("万", 1e4), ("千", 1e3), ("百", 1e2))
_PARTS = re.compile(
    r"^(?P<num>\d+(?:\.\d+)?)(?:\s*[-~～至到]\s*\d+(?:\.\d+)?)?"
    r"(?P<unit>.*?)(?P<bound>以上|左右|以内|以下|多|余)?$"
)
_AFTER_BOUND = re.compile(r"(以上|左右|以内|以下|多|余)")
# a figure's clause ends at a clause mark or at 、 (「新增…1500家、瞪羚企业200家」)
_CLAUSE_OR_LIST = re.compile(CLAUSE_END.pattern[:-1] + "、]")
# durations are not an indicator's value
_DURATIONS = frozenset({"年", "年时间"})
# classifiers (量词) that count things, from rag.lang.measures' counters: a figure with one of them
# may stand before its noun
_COUNTED = frozenset(_COUNTERS) | {"人次", "场次", "处", "部", "辆", "张", "头", "篇", "列", "只"}


class _NoTerms(Terms):
    """No question: figures() scores nothing (the table needs only the spans)."""

    def coverage(self, text: str) -> float:
        return 0.0


_NO_TERMS = _NoTerms((frozenset(),), {})
_NO_HIT = Hit(Chunk("", "", "", "", (), 0, 0, "", ""), 0.0)


@dataclass(frozen=True)
class Target:
    """One figure of one document, cited by its sentence."""

    doc_id: str
    title: str
    place: str
    level: str
    year: int | None
    stance: str  # "target", "result" or "" when the text does not say
    kind: str  # growth, share, count, money, rank, level (rag.lang.measures)
    indicator: str  # as written: document.text[indicator_start:indicator_start + len]
    indicator_norm: str
    value: str  # verbatim: document.text[value_start:value_start + len(value)]
    amount: float | None
    unit: str
    base_amount: float | None
    base_unit: str
    qualifier: str
    start: int
    end: int
    value_start: int
    indicator_start: int  # where the indicator as written starts in the document's text
    quote: str
    section_path: tuple[str, ...]
    period: str  # how an answer labels the period: 2025年目标, 2024年完成情况

    def __post_init__(self) -> None:
        at = self.value_start - self.start
        if not self.value or self.quote[at : at + len(self.value)] != self.value:
            raise ValueError(f"value {self.value!r} is not in its quote at {self.value_start}")
        at = self.indicator_start - self.start
        if self.quote[at : at + len(self.indicator)] != self.indicator:
            raise ValueError(f"indicator {self.indicator!r} is not in its quote at {at}")

    def as_dict(self) -> dict[str, object]:
        """The row as JSON, CSV and spreadsheets show it."""
        return {
            "place": self.place,
            "level": self.level,
            "doc_id": self.doc_id,
            "title": self.title,
            "year": self.year,
            "stance": self.stance,
            "kind": self.kind,
            "indicator": self.indicator,
            "indicator_norm": self.indicator_norm,
            "value": self.value,
            "amount": self.amount,
            "unit": self.unit,
            "base_amount": self.base_amount,
            "base_unit": self.base_unit,
            "qualifier": self.qualifier,
            "period": self.period,
            "start": self.start,
            "end": self.end,
            "value_start": self.value_start,
            "indicator_start": self.indicator_start,
            "section_path": list(self.section_path),
            "quote": self.quote,
        }


@lru_cache(maxsize=1024)
def base_unit(unit: str) -> tuple[str, float]:
    """(unit without its 万/亿 multiple, the multiple): 万家 -> (家, 1e4); 千瓦 stays 千瓦."""
    unit = unit.strip()
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
class _Figure:
    start: int  # offsets in the sentence
    end: int  # end of the value (before a bound written after it)
    value: str
    amount: float | None
    unit: str
    bound: str
    rank: bool
    numeral: str | None = None  # a Chinese numeral's figure in digits, for its measure


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _names_a_class(text: str, end: int, unit: str) -> bool:
    """A figure before 级 names a class (「400亿级产业名镇」, 「百万千瓦级水电站」, 「7.1级地震」),
    not a quantity of the plan."""
    return unit.endswith("级") or text[end : end + 1] == "级"


def _digit_figures(sentence: Sentence) -> list[_Figure]:
    out = []
    text = sentence.text
    for span in figures(sentence, _NO_TERMS):
        at = span.start - sentence.start
        parts = _PARTS.match(span.text)
        if parts is None:
            continue
        unit, bound = parts.group("unit").strip(), parts.group("bound") or ""
        value = span.text[: len(span.text) - len(bound)]
        if _names_a_class(text, at + len(span.text), unit):
            continue
        rank = text[:at].rstrip().endswith("第")
        after = text[at + len(span.text) : at + len(span.text) + 1]
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
        out.append(
            _Figure(at, at + len(value), value, float(parts.group("num")), unit, bound, rank)
        )
    return _ranges(text, out)


def _ranges(text: str, found: list[_Figure]) -> list[_Figure]:
    """Two figures joined by a dash are one range (「6.5%－7%」: rag.answer.spans reads only ASCII
    dashes, 至 and 到 as one)."""
    out: list[_Figure] = []
    for fig in found:
        last = out[-1] if out else None
        gap = text[last.end + len(last.bound) : fig.start] if last else ""
        if last is not None and not last.rank and re.fullmatch(r"\s*[－—–\-~～]\s*", gap):
            value = text[last.start : fig.end]
            out[-1] = _Figure(last.start, fig.end, value, last.amount, fig.unit, fig.bound, False)
        else:
            out.append(fig)
    return out


def _numeral_figures(text: str, taken: list[_Figure]) -> list[_Figure]:
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
        number = _number(head) if head else None
        amount = float(number) * base_unit(numeral[len(head) :] or "")[1] if number else None
        value = numeral + lead + unit
        bound = _AFTER_BOUND.match(text[m.start() + len(value) :])
        out.append(
            _Figure(
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


def _place_of_doc(doc: Document) -> tuple[str, str, Place | None]:
    """(place name, level, gazetteer place) of a document."""
    level = LEVEL_NAMES.get(doc.region_level or "", "")
    if not doc.region:
        return safe_label(doc), level, None
    place = place_of(doc.region, doc.region_level)
    return doc.region, LEVEL_NAMES.get(place.level, level), place


def _subject(
    text: str, clause_start: int, fig: _Figure, within: Place | None = None
) -> tuple[int, int]:
    """The indicator's span (sentence offsets) in the clause before the figure; empty when the
    clause has no subject of its own."""
    start = _listed_before(text, clause_start)
    left = text[start : fig.start]
    front = strip_front(left, within=within)
    back = strip_back(left[front:])
    s, e = start + front, start + front + back
    while e > s and text[e - 1] in " \t，,、：:":
        e -= 1
    return s, e


# a list item short enough to be a noun (飞机, 东南亚, 基本养老), not a verb phrase; longer when
# it ends in a noun (「新建省级数字化车间、智能化工厂100个」)
_ITEM_CHARS = 6
_NOUN_ITEM_CHARS = 12


def _listed_before(text: str, clause_start: int) -> int:
    """Where a subject starts that a list before it shares: 「东南亚、日韩、欧美入境游客超120万」
    and 「飞机、船舶、海工平台跨境租赁业务占全国比重」 are about every item, not the last."""
    start = clause_start
    while start > 0 and text[start - 1] == "、":
        marks = [m.end() for m in _CLAUSE_OR_LIST.finditer(text, 0, start - 1)]
        begin = marks[-1] if marks else 0
        item = text[begin : start - 1]
        noun_item = len(item) <= _NOUN_ITEM_CHARS and ends_in_noun(item)
        if not item.strip() or (len(item) > _ITEM_CHARS and not noun_item):
            break
        if re.search(r"\d", item):
            break
        start = begin
    return start


def _right_noun(text: str, fig: _Figure) -> tuple[int, int]:
    """The noun a numeral-classifier phrase stands before (培育30家「拟上市科技企业」): what
    follows the figure directly, to the clause's end or a 的; empty when the figure closes its
    clause or qualifies the noun with 的 (总投资711亿元「的」…项目: that noun is not the
    indicator)."""
    s = fig.end + len(fig.bound)
    if s >= len(text) or not re.match(r"[\u4e00-\u9fff“\"]", text[s]):
        return s, s
    stop = re.compile(_CLAUSE_OR_LIST.pattern[:-1] + r"的\d]").search(text, s)
    e = stop.start() if stop else len(text)
    verb = RIGHT_PREDICATE.search(text, s + 2, e)
    e = min(verb.start() if verb else e, s + 20)
    return s, s + strip_back(text[s:e])


def _previous_clause(text: str, clause_start: int, within: Place | None = None) -> tuple[int, int]:
    """The subject of the clause before (「粮食总产量再上新台阶，突破1600亿斤」)."""
    marks = [m.end() for m in CLAUSE_END.finditer(text, 0, max(clause_start - 1, 0))]
    begin = marks[-1] if marks else 0
    left = text[begin : max(clause_start - 1, begin)]
    front = strip_front(left, within=within)
    back = strip_back(left[front:])
    return begin + front, begin + front + back


_SEPARATELY = "分别"
# a subject that only relates a figure to another thing (占全国, 居全国, 增速, 相当于): what it
# relates is the subject before it
# (比去年预算, 高于全国: a lead over another figure)
_RELATIONAL = re.compile(
    r"占|居(?!民)|位居|增速|增幅|相当于|比(?![重例率值])|较(?=上年|去年|年初)|高于|低于|快于|慢于"
)


# the longest modifier that a list's items share the rest of the last item with
_MODIFIER_CHARS = 4


def _respectively(
    text: str,
    fig: _Figure,
    found: list[_Figure],
    within: Place | None = None,
    earlier: Mapping[int, tuple[int, int]] | None = None,
) -> tuple[tuple[int, int], str] | None:
    """「A、B分别增长x、y」: the figure's own item of the list before 分别, and the words
    between 分别 and the figures (「交通、水利分别完成投资…」: 投资) for its normalised name."""
    marks = [m.end() for m in CLAUSE_END.finditer(text, 0, fig.start)]
    run_start = marks[-1] if marks else 0
    at, word = text.find(_SEPARATELY, run_start, fig.start), _SEPARATELY
    if at < 0:
        # 「城镇和农村人均住房面积32.9平方米、37.1平方米」: figures listed one after another
        # after a list of as many items are theirs in order, as with 分别
        chain = _figure_chain(text, fig, found)
        if len(chain) < 2 or CLAUSE_END.search(text, run_start, chain[0].start):
            return None
        head = text[run_start : chain[0].start]
        at, word = run_start + strip_back(head), ""
        if re.search(r"\d", head):
            return None
        if len(item_marks(text[run_start:at])) != len(chain) - 1:
            return None
    listed = [f for f in found if at <= f.start <= fig.start]
    head = text[run_start:at]
    front = strip_front(head, within=within)
    items, cursor = [], run_start + front
    base = cursor
    for a, b in item_marks(text[base:at]):
        items.append((cursor, base + a))
        cursor = base + b
    items.append((cursor, at))
    items = [(a, b) for a, b in items if substantive(text[a:b])]
    index = len(listed) - 1
    if not items and earlier:
        # 「生产钾肥749万吨、碳酸锂13.5万吨，分别增长4.8%、22.3%」: no items before 分别, the
        # items are the subjects of the figures of the clauses before, in their order
        run = [f for f in found if at < f.start and not CLAUSE_END.search(text, at, f.start)]
        before = [earlier[f.start] for f in found if f.start < run_start and f.start in earlier]
        if len(run) >= 2 and len(before) >= len(run) and index < len(run):
            return before[len(before) - len(run) + index], ""
    run = [f for f in found if at < f.start and not CLAUSE_END.search(text, at, f.start)]
    if len(items) == 1 and len(run) == 2 and index < 2:
        # 「城乡居民收入分别增长4.4%、7.1%」, 「“保交楼”“保交房”交付率分别达…」: one item for
        # two figures is a coordination: its quoted parts, else its first two characters
        (a, b), word = items[0], text[items[0][0] : items[0][1]]
        quoted = re.findall(r"“([^”]+)”", word)
        if len(quoted) == 2:
            head = word[word.rfind("”") + 1 :]
            return (a, b), f"·{quoted[index]}{head}"
        if _RELATIONAL.match(word) and earlier:
            pass  # 「…，占规模以上工业比重分别提高到…」: the items are the subjects before
        elif re.match(r"[\u4e00-\u9fff]{2}", word) and same_class(word[0], word[1]):
            return (a, b), f"·{word[index]}"  # 城乡: 城, 乡
        else:
            return (a, b), f"·{index + 1}"  # the first or second of the pair the item names
    if len(items) == 1 and _RELATIONAL.match(text[items[0][0] : items[0][1]]) and earlier:
        before = [earlier[f.start] for f in found if f.start < run_start and f.start in earlier]
        if len(before) >= len(run) and index < len(run):
            a, b = before[len(before) - len(run) + index]
            return (a, b), text[items[0][0] : items[0][1]]
    if len(items) < 2 or index >= len(items):
        return None
    tail = text[at + len(word) : listed[0].start]
    tail = tail[strip_front(tail, within=within) :]
    tail = tail[: strip_back(tail)]
    own = text[items[index][0] : items[index][1]]
    last = text[items[-1][0] : items[-1][1]]
    if index < len(items) - 1:
        # 「化学需氧量、氨氮排放量」, 「原煤、原油、天然气产量」: the last item ends with the head
        # noun the list shares; an item parallel to its modifier takes it
        head = head_noun(last)
        modifier = last[: last.rfind(head)] if head else last
        same_end = ends_in_noun(own) == ends_in_noun(modifier)
        parallel = abs(len(own) - len(modifier)) <= 1 and same_end
        chinese = re.search(r"[\u4e00-\u9fff]$", own)
        if head and parallel and not own.endswith(head[-1]) and chinese:
            tail = head + tail
        elif len(last) > len(own) + 1 and (
            len(own) <= 2 or (len(own) <= _MODIFIER_CHARS and own[-1] == last[len(own) - 1])
        ):
            # 「城镇、农村居民人均可支配收入」, 「星火镇和光谷镇人均住房面积」: a bare modifier
            # (two characters, or a short one ending like the last item's opening) shares its
            # rest
            tail = last[len(own) :] + tail
    return items[index], tail


def _word_after(text: str, at: int) -> str:
    """The words right after a figure that may say its measure (「20%左右增幅」); not a change
    word that opens the next figure's predicate (「2.76万亿元增长6.1%」)."""
    opens_next = re.match(r"(?:的)?(?:增幅|增速|增长|涨幅|降幅)\s*\d", text[at : at + 8])
    return "" if opens_next else text[at : at + 4]


def _figure_chain(text: str, fig: _Figure, found: list[_Figure]) -> list[_Figure]:
    """The figures listed one after another with the figure (only 、/和 between them)."""
    chain: list[_Figure] = []
    for f in found:
        gap = text[chain[-1].end + len(chain[-1].bound) : f.start] if chain else ""
        if chain and re.fullmatch(r"\s*[、和与及]\s*", gap):
            chain.append(f)
        elif f.start <= fig.start:
            chain = [f]
        else:
            break
    return chain if fig in chain else []


def _later_in_clause(text: str, fig: _Figure, found: list[_Figure]) -> _Figure | None:
    """The next figure when it stands in the same clause (no clause mark or 、 between)."""
    nxt = next((f for f in found if f.start > fig.start), None)
    gap = text[fig.end + len(fig.bound) : nxt.start] if nxt is not None else ""
    return nxt if nxt is not None and not _CLAUSE_OR_LIST.search(gap) else None


# a verb alone before a quantity of things (新投产, 废止): short; rates (出口增长5%) name a
# measure with the verb itself
_BARE_VERB = 3
_RATES = frozenset({"%", "个百分点", "百分点", "倍"})


def _indicator_span(
    text: str,
    fig: _Figure,
    clause_start: int,
    previous: tuple[int, int, int] | None,
    found: list[_Figure],
    within: Place | None = None,
    earlier: Mapping[int, tuple[int, int]] | None = None,
) -> tuple[tuple[int, int], str, str]:
    """Where the figure's indicator is written in the sentence, and the words to put before
    and after it in its normalised name (「出台关爱新就业群体」 before 「措施」; 「投资」 after
    「水利」)."""
    separately = _respectively(text, fig, found, within, earlier)
    if separately is not None:
        (a, b), tail = separately
        return (a, b), "", tail
    subj = _subject(text, clause_start, fig, within)
    right = _right_noun(text, fig)
    # a bare 万/亿 before a noun counts it (「6434万农村人口」, 「510万沼气用户」)
    counted = base_unit(fig.unit)[0] in _COUNTED or (fig.unit != "" and not base_unit(fig.unit)[0])
    listing = text[subj[1] : fig.start].strip().endswith("等")
    left = text[subj[0] : subj[1]]
    if counted and not substantive(text[right[0] : right[1]]):
        # 「相继出台43条、16条具体举措」: figures listed before one noun share it
        after = text[fig.end + len(fig.bound) : fig.end + len(fig.bound) + 1]
        nxt = next((f for f in found if f.start > fig.start), None)
        if after in "、和" and nxt is not None and nxt.start == fig.end + len(fig.bound) + 1:
            right = _right_noun(text, nxt)
    later = _later_in_clause(text, fig, found)
    if counted and later is not None and substantive(text[right[0] : right[1]]):
        own_noun = substantive(text[slice(*_right_noun(text, later))])
        if later.start == right[1] and substantive(left) and not own_noun:
            # 「国家现代农业产业园15个优势特色产业集群9个」: the noun after the figure is written
            # before the next one, which it belongs to; this figure's noun is the one before it
            return subj, "", ""
        # 「12个闽宁产业园新入驻企业154家」, 「86个重大项目已开工74个」: the phrase after the count
        # is the subject of a later figure; the count quantifies its leading noun phrase
        cut = leading_noun(text[right[0] : later.start])
        cut = min(cut, right[1] - right[0])
        right = (right[0], right[0] + strip_back(text[right[0] : right[0] + cut]))
    if substantive(text[right[0] : right[1]]) and (counted or 0 < len(left) <= 2) and not fig.rank:
        # 数词+量词+名词: the classifier phrase names the noun after it; a phrase before it
        # says what kind (出台关爱新就业群体「15条」措施, 建设「4万亩」高标准农田), unless it
        # lists examples (…等) or is a short verb (培育30家…)
        # (not when it is the item before in a list: 「100个X和300个Y」)
        before_fig = text[subj[0] : fig.start].rstrip()
        marks = item_marks(before_fig) if before_fig[-1:] in ("和", "与", "及", "、") else []
        item_before = bool(marks) and marks[-1][1] == len(before_fig)
        long_left = (len(left) > 4 or not counted) and not listing and not item_before
        return right, left if long_left else "", ""
    both = _BOTH.match(left)
    if both and _RELATIONAL.match(left, both.end()) and earlier:
        # 「出让矿业权182宗、成交价116.8亿元，均居全国第2位」: every figure before it in the
        # sentence run is ranked
        run = max([0, *(m.end() for m in re.finditer(r"[。；;]", text[: fig.start]))])
        named = [text[a:b] for start, (a, b) in sorted(earlier.items()) if run <= start]
        if named:
            return subj, "、".join(dict.fromkeys(named)), ""
    if _RELATIONAL.match(left) or (
        _RATE.fullmatch(normalise_indicator(left)) and previous is not None
    ):
        # 「保供任务8.3亿吨、占全国34.5%」, 「增速居全国第3位」: what is compared is the subject
        # before; a rate alone (「…诉求474万余件、办结率99.26%」) is the rate of it
        if previous is not None and not re.search(r"[。；;]", text[previous[2] : fig.start]):
            return subj, text[previous[0] : previous[1]], ""
        before = _previous_clause(text, clause_start, within)
        return subj, text[before[0] : before[1]], ""
    figure_before = next((f for f in reversed(found) if f.start < fig.start), None)
    if (
        substantive(left)
        and len(left) <= _BARE_VERB
        and previous is not None
        and figure_before is not None
        and base_unit(fig.unit)[0] not in _RATES
        and not names_a_thing(left)
        and base_unit(figure_before.unit)[0] == base_unit(fig.unit)[0]
        and not re.search(r"[。；;]", text[previous[2] : fig.start])
    ):
        # 「新开工装机1000万千瓦、新投产600万千瓦」, 「审议地方性法规14部、废止11部」: a verb alone
        # counts the thing the figure before it, in the same unit, names
        return subj, "", head_noun(text[previous[0] : previous[1]])
    if substantive(left):
        return subj, "", ""
    between = text[previous[2] : fig.start] if previous else "。"
    if previous is not None and not re.search(r"[。；;]", between):
        # 「达到5.2万亿元、增长5.6%」: the same subject; 「增长8.3%，高于全国2.5个百分点」: the
        # same subject's lead over another, which the name says
        lead_over = _COMPARED.search(between)
        over = between[lead_over.start() :].strip(" ，,、") if lead_over else ""
        return previous[:2], "", over
    if substantive(text[right[0] : right[1]]):
        return right, "", ""
    return _previous_clause(text, clause_start, within), "", ""


# 均/都 before a relation: it holds for every figure before (「…，均居全国第2位」)
_BOTH = re.compile(r"均|都")
# a rate or degree named alone (满意度, 办结率): the rate of the subject before it
_RATE = re.compile(r"[\u4e00-\u9fff]{1,2}[率度]")
# a comparison with another figure (a lead over the country, the average): 比上年 is only how
# a growth is stated, the kind column says that
_COMPARED = re.compile(r"高于|低于|快于|慢于")
# the present, stated among the plans (目前, 已经): a level, not a target
_PRESENT = re.compile(r"目前|当前|已经|已有|^(?:我|全)[国省区市县]有")
# a span of years: a heading of a five-year review or plan (「过去五年工作回顾」, 「“十三五”
# 时期主要目标任务」), a sentence about five years or an average over years
_SPAN_HEADING = re.compile(
    r"(?:[一二三四五六七八九十]+、)?"
    r"(?:[“\"]?十[一二三四五六七八九]五[”\"]?(?:时期|期间)|过去五年|今后五年|五年来)"
)
_SPAN = re.compile(r"过去五年|五年来|这五年|今后五年|五年累计|年均(?:增长|增速|下降|提高|递增)")
# a clause that names a part of the figure before it: 其中 (of which), 含/包括 (including)
_PART_OF = re.compile(r"\s*[（(]?\s*(?:其中|含|包括)")
# 「从2007年的248亿美元上升到2012年的772亿美元」: a year written right before a figure dates it
_DATED = re.compile(r"((?:19|20)\d\d)\s*年(?:底|末)?的?$")


# 「从75%提高到100%」, 「由46.9%提高到48.2%」: the figure a change starts from
_FROM = re.compile(r"(?:从|由)[^\d，,。；;、]{0,3}$")
_TO = re.compile(r"^[^，,。；;：:\d]{0,8}?(?:到|至)\s*[\d一二三四五六七八九十百千万亿]")


def stop_at(stop: re.Match[str] | None, text: str) -> int:
    """Where the figure's clause ends (the sentence's end when no mark follows)."""
    return stop.start() if stop else len(text)


def _dated(before: str, period: Period, after: str = "") -> Period:
    """The sentence's period, or the year written right before the figure (an earlier year's
    figure is a result); the figure a change starts from (从…提高到…) is the level before the
    period, of a year the text does not give."""
    m = _DATED.search(before)
    if m is None and _FROM.search(before) and _TO.match(after):
        return Period(None, None, RESULT)
    if m is None or int(m.group(1)) == period.year:
        return period
    year = int(m.group(1))
    if period.year is not None and year < period.year:
        return Period(year, None, RESULT)
    return Period(year, None, period.stance)


def extract_document(doc: Document, segments: list[Segment] | None = None) -> list[Target]:
    """Every figure of the document as a Target row, in text order."""
    segments = segments if segments is not None else time_segments(doc)
    place_name, doc_level, doc_place = _place_of_doc(doc)
    title = display_title(doc)
    rows: list[Target] = []
    for s, e in sentence_spans(doc.text, 0, len(doc.text)):
        text = doc.text[s:e]
        if not re.search(r"\d|[十百千万亿]", text):
            continue
        sentence = Sentence(doc.doc_id, s, e, text, _NO_HIT, 0.0)
        found = _digit_figures(sentence)
        found += _numeral_figures(text, found)
        if not found:
            continue
        found.sort(key=lambda f: f.start)
        context = period_at(segments, s)
        path = section_path_at(doc, s)
        previous: tuple[int, int, int] | None = None  # (subject start, end, figure end)
        subjects: dict[int, tuple[int, int]] = {}  # figure start -> its subject's span
        for fig in found:
            marks = [m.end() for m in _CLAUSE_OR_LIST.finditer(text, 0, fig.start)]
            clause_start = max([0, *marks, *(previous[2:] if previous else ())])
            subj, lead, tail = _indicator_span(
                text, fig, clause_start, previous, found, doc_place, subjects
            )
            written = text[subj[0] : subj[1]]
            whole = next((f for f in reversed(found) if f.start < fig.start), None)
            if (
                not lead
                and previous is not None
                and whole is not None
                and base_unit(whole.unit)[0] == base_unit(fig.unit)[0]
                and _PART_OF.match(text, clause_start)
                and not written.lstrip("（( ").startswith("其中")
            ):
                # 「新增公路60.9万公里，其中高速公路4.2万公里」, 「2000人（含重点产业1000人）」:
                # a part of the figure before (in its unit) is named as a part of its subject
                lead = text[previous[0] : previous[1]] + "其中"
            # a classifier phrase's noun comes after it: the verb before it does not make the
            # figure a change (提升100家…机构)
            listed = next((f for f in found if subj[1] <= f.start <= fig.start), fig)
            # the words between a 分别 list and its first figure say what they measure
            # (「…分别下降13.3%、12.1%」)
            before = (
                ""
                if subj[0] >= fig.end
                else text[
                    min(clause_start, subj[0]) : listed.start
                    if _SEPARATELY in text[subj[1] : fig.start]
                    else fig.start
                ]
            )
            run = max([0, *(m.end() for m in CLAUSE_END.finditer(text, 0, fig.start))])
            if subj[1] <= run and _SEPARATELY in text[run : fig.start]:
                # a 分别 whose items are the clauses before: its own words say the measure
                first = next(f for f in found if run <= f.start)
                before = text[run : first.start]
            bound = BOUND_BEFORE.search(before)
            local_place, level = place_name, doc_level
            framing = text[clause_start : subj[0]] if subj[0] > clause_start else ""
            for p, a, b in find_places(framing) if framing else []:
                # a place inside the document's own, written in full (「西安市…」), is the subject
                inside = doc_place is not None and p != doc_place and contains(doc_place, p)
                if inside and framing[a:b] == p.name:
                    local_place, level = p.name, LEVEL_NAMES.get(p.level, level)
            kind = (
                RANK
                if fig.rank
                else figure_measure(
                    before,
                    fig.value + fig.bound if fig.numeral is None else fig.numeral,
                    _word_after(text, fig.end + len(fig.bound)),
                )
            )
            # a time the sentence states after the figure's clause does not date it
            # (「…节水农业30万亩，…力争到2027年将…」)
            stop = CLAUSE_END.search(text, fig.end)
            period = sentence_period(text[: stop.start() if stop else len(text)], context)
            if period.stance == PLAN and _PRESENT.search(text[clause_start : fig.start]):
                # 「目前…已经超过2万亿元」 among the plans: the present level, of no year given
                period = Period(None, None, RESULT)
            spans_years = any(_SPAN_HEADING.match(title) for title in path) or _SPAN.search(
                text[: stop_at(stop, text)]
            )
            if spans_years and not re.search(r"(?:19|20)\d\d\s*年", text[: fig.start]):
                # a five-year review or plan (「过去五年」, 「“十三五”时期」, 「年均」) speaks of
                # no single year unless the sentence writes one
                period = Period(None, None, period.stance)
            own = _dated(text[clause_start : fig.start], period, text[fig.end + len(fig.bound) :])
            unit_base, scale = base_unit(fig.unit)
            if kind == LEVEL and (unit_base in _COUNTED or (fig.unit and not unit_base)):
                kind = COUNT  # rag.lang.measures counts with fewer measure words than UNITS lists
            rows.append(
                Target(
                    doc_id=doc.doc_id,
                    title=title,
                    place=local_place,
                    level=level,
                    year=own.year,
                    stance=STANCES.get(own.stance or "", ""),
                    kind=kind,
                    indicator=written,
                    indicator_norm=normalise_indicator(lead + written + tail) if written else "",
                    value=fig.value,
                    amount=fig.amount,
                    unit=fig.unit,
                    base_amount=None if fig.amount is None else fig.amount * scale,
                    base_unit=unit_base,
                    qualifier="".join(
                        x for x in ((bound.group(1) if bound else ""), fig.bound) if x
                    ),
                    start=s,
                    end=e,
                    value_start=s + fig.start,
                    indicator_start=s + subj[0],
                    quote=text,
                    section_path=path,
                    period=own.label(),
                )
            )
            previous = (subj[0], subj[1], fig.end + len(fig.bound))
            if subj[1] > subj[0]:
                subjects[fig.start] = subj
    return rows


def extract(
    documents: Mapping[str, Document], times: Mapping[str, list[Segment]] | None = None
) -> list[Target]:
    """The rows of every document (its time segments from `times` when given)."""
    rows: list[Target] = []
    for doc_id, doc in documents.items():
        rows.extend(extract_document(doc, (times or {}).get(doc_id)))
    return rows
