"""Time: the year, half-year and stance (result or plan) each passage and each question speaks of.

A plan document rarely repeats its year in every sentence. A government work report reviews
last year, then plans this one; a half-year summary reports 上半年 and plans 下半年. Who reads
it knows from the headings and the framing sentences (「2024年工作回顾」, 「过去一年」, 「今年发展
主要预期目标是」, 「下一步打算」) which period every later sentence is about, until the next such
cue. `time_segments` reads a document that way, once, at load; `sentence_period` adds what a
sentence says of itself (「2020年，全省…」, 「到2025年…」).

The cue words are the fixed phrases of these genres (政府工作报告, 工作要点, 工作总结); they
name a period or a stance, never a topic, so they hold for any plan of the family.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import pairwise

from rag.lang.tags import tagged
from rag.records import Document, Section

RESULT = "result"
PLAN = "plan"
FIRST_HALF = "上半年"
SECOND_HALF = "下半年"
WHOLE_YEAR = "全年"  # asked by a question only: a passage of a whole year has no half

_YEAR = r"((?:19|20)\d\d)\s*年"
# a span of years is a multi-year plan or review, not one year: 2021-2025年, 2021—2025年
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d\s*(?:年)?\s*[-－—–~～至到]\s*(?:19|20)\d\d\s*年?")
_SINGLE_YEAR = re.compile(_YEAR + r"(?!以来|来|度?以前)")
# in a question, a span of years asks about each of them (「2016年到2019年…怎么变」,
# 「2014到2017年」) and years listed before one 年 are each a year (「2022、2024、2025这三年」)
_LISTED_YEARS = re.compile(
    r"(?:19|20)\d\d(?:\s*[、，,和与及]\s*(?:19|20)\d\d)+\s*(?:年|[这那][^，。？?\s]{0,3}年)"
)
_TARGET_YEAR = re.compile(r"(?:到|至|在|于)\s*" + _YEAR + r"|" + _YEAR + r"(?:前|底前|末前)")

# framing cues of a section or paragraph, strongest first: (pattern, stance, year offset)
_REVIEW = re.compile(
    r"工作回顾|过去一年|一年来|回顾过去|去年以来|完成情况|开展情况|进展情况|工作总结|"
    r"主要成效|取得的成[绩效]|过去五年|五年来"
)
_PLAN = re.compile(
    r"预期目标|主要目标|工作安排|工作任务|重点工作|主要任务|总体要求|工作建议|工作的建议|"
    r"下一步|打算|今年是|今年的?工作|今年发展|工作要点|工作思路|目标任务"
)
_HALF_DOC = re.compile(r"上半年|半年")
_PLAN_GENRES = re.compile(r"要点|计划|安排|方案|规划|意见|通知")
_RESULT_GENRES = re.compile(r"总结|回顾|公报")
_LINE = re.compile(r"[^\n]+")
_FIRST_SENTENCE = re.compile(r"^[^。；;！!？?]{0,80}")


@dataclass(frozen=True)
class Period:
    """What a stretch of text speaks of: a year, a half of it, and whether it reports a
    result or states a plan. None is unknown (it fits any question)."""

    year: int | None = None
    half: str | None = None
    stance: str | None = None

    def label(self) -> str:
        """How an answer names the period: 「2024年完成情况」, 「2020年下半年安排」."""
        when = f"{self.year}年" if self.year else ""
        when += self.half or ""
        if self.stance == RESULT:
            return when + "完成情况"
        if self.stance == PLAN:
            return when + ("安排" if self.half else "目标")
        return when


@dataclass(frozen=True)
class Segment:
    """A stretch [start, end) of a document's text that speaks of one period."""

    start: int
    end: int
    period: Period


def document_period(doc: Document) -> Period:
    """The period a document speaks of where nothing says otherwise: its genre and year."""
    title = doc.title or ""
    if _RESULT_GENRES.search(title) and not _PLAN_GENRES.search(title):
        return Period(doc.year, FIRST_HALF if _HALF_DOC.search(title) else None, RESULT)
    if _PLAN_GENRES.search(title) and not _RESULT_GENRES.search(title):
        return Period(doc.year, None, PLAN)
    # a report or a summary-and-plan: its headings say which part is which
    return Period(doc.year, None, PLAN if "报告" in title else None)


def _years_in(text: str) -> list[int]:
    plain = _YEAR_RANGE.sub(" ", text)
    return [int(m.group(1)) for m in _SINGLE_YEAR.finditer(plain)]


# a five-year plan by its number (“十二五”, 十四五) or as the next five years
_FIVE_YEAR_PLAN = re.compile(r"十([一二三四五六七八九])五")
_NEXT_FIVE_YEARS = re.compile(r"今后五年|未来五年")
_DIGITS = "一二三四五六七八九"


def plan_span_end(text: str, base: Period) -> int | None:
    """The last year of the multi-year plan a heading announces, or None: the Nth five-year
    plan runs to 1970 + 5(N - 3) from the third on (十一五 2006-2010, 十四五 2021-2025);
    「今后五年」 runs to the fourth year after the document's own."""
    number = _FIVE_YEAR_PLAN.search(text)
    if number:
        return 1970 + 5 * (10 + _DIGITS.index(number.group(1)) + 1 - 3)
    if _NEXT_FIVE_YEARS.search(text) and base.year is not None:
        return base.year + 4
    return None


def five_year_plans(text: str) -> list[tuple[int, int, int]]:
    """The five-year plans the text names by number (“十二五”, 十三五), each as (start, end,
    its last year)."""
    return [
        (m.start(), m.end(), plan_span_end(m.group(), Period(None, None, None)) or 0)
        for m in _FIVE_YEAR_PLAN.finditer(text)
    ]


def cue_period(text: str, base: Period, half_document: bool) -> Period | None:
    """The period a heading or framing sentence announces, or None when it announces none."""
    years = sorted(set(_years_in(text)))
    year = years[0] if len(years) == 1 else None
    # 「2024年是…的关键一年」 frames the year it names, whatever else the sentence says
    if year is not None and re.match(r"\s*" + _YEAR + r"[，,]?(?:是|以来)", text):
        stance = PLAN if base.year is not None and year >= base.year else RESULT
        return Period(year, None, stance)
    review, plan = _REVIEW.search(text), _PLAN.search(text)
    if review and (not plan or review.start() < plan.start()):
        if "上半年" in text:
            return Period(year or base.year, FIRST_HALF, RESULT)
        last = (base.year - 1) if base.year else None
        if "五年" in text[max(review.start() - 2, 0) : review.end() + 2]:
            last = None  # a five-year review speaks of no single year
        # a half-year summary's 「工作开展情况」 is this year's; a yearly report reviews last year
        return Period(year or (base.year if half_document else last), None, RESULT)
    if plan:
        end = plan_span_end(text, base)
        if year is None and end is not None:
            # 「二、“十二五”时期的主要目标和任务」: targets for the plan's last year, not this one's
            return Period(end, None, PLAN)
        if year is not None and base.year is not None and year < base.year:
            # 「刚刚过去的2017年，经济社会发展主要目标任务全面完成」 in the 2018 report: a year
            # before the document's own is reviewed, whatever plan words frame it
            return Period(year, None, RESULT)
        half = SECOND_HALF if half_document or "下半年" in text else None
        return Period(year or base.year, half, PLAN)
    if year is not None and re.match(r"\s*" + _YEAR + r"的?工作", text):
        stance = PLAN if base.year is not None and year >= base.year else RESULT
        return Period(year, None, stance)
    return None


# how many lines of a part's preamble may announce its period
_OPENING_LINES = 3


def _opening_period(
    doc: Document, section: Section, half_document: bool, base: Period
) -> Period | None:
    """The period a part's preamble announces when its heading is a slogan: the first cue of
    the lines between the heading and its first numbered sub-section (「一、牢记殷殷嘱托，在
    接续奋斗中…取得新成效」 opens with 「2024年是…的一年。」 and 「一年来，…」)."""
    numbered = [s.start for s in doc.sections if s.parent == section.id and s.number]
    end = min(numbered, default=section.end)
    heading_end = doc.text.find("\n", section.start, end)
    if heading_end < 0:
        return None
    lines = [m.group().strip() for m in _LINE.finditer(doc.text, heading_end, end)]
    for line in [x for x in lines if x][:_OPENING_LINES]:
        sentence = _FIRST_SENTENCE.match(line)
        found = cue_period(sentence.group() if sentence else "", base, half_document)
        if found is not None:
            return found
    return None


def _section_periods(doc: Document, base: Period, half_document: bool) -> dict[str, Period]:
    """Each section's period: its heading's cue, else its parent's, else (for a part with
    sub-sections) the cue its preamble opens with (None: no cue above it)."""
    periods: dict[str, Period] = {}
    parts = {s.parent for s in doc.sections if s.parent}
    for section in sorted(doc.sections, key=lambda s: (s.level, s.start)):
        own = cue_period(section.title, base, half_document)
        inherited = periods.get(section.parent) if section.parent else None
        if inherited is not None and not _years_in(section.title):
            # 「(一)主要目标质效齐升」 under 「一、2024年工作回顾」 reviews how 2024's targets went:
            # a part keeps its whole's period unless it names a year of its own
            own = None
        if own is None and inherited is None and section.id in parts:
            # a part headed by a slogan is announced by its opening sentence, as a reader takes it
            own = _opening_period(doc, section, half_document, base)
        if own is not None or inherited is not None:
            periods[section.id] = own or inherited  # type: ignore[assignment]
    return periods


def time_segments(doc: Document) -> list[Segment]:
    """The document cut where a heading or a paragraph's framing sentence changes the period.

    Headings rule where they name periods (「一、2024年工作回顾」): a framing paragraph inside a
    section (「过去一年，国防和军队建设…」 among this year's tasks) holds only to the next
    heading. Where no heading names a period, a framing line (「2024年工作回顾」 as plain text)
    holds until the next one, across headings.
    """
    base = document_period(doc)
    half_document = bool(_HALF_DOC.search(doc.title or ""))
    section_periods = _section_periods(doc, base, half_document)
    heading_at = {s.start: s for s in doc.sections}
    segments: list[Segment] = []
    current, start = base, 0
    heading_period = base
    for line in _LINE.finditer(doc.text):
        stripped = line.group().strip()
        if not stripped:
            continue
        lead = len(line.group()) - len(line.group().lstrip())
        section = heading_at.get(line.start() + lead)
        found: Period | None
        if section is not None and section_periods:
            found = section_periods.get(section.id, base)
            heading_period = found
        else:
            sentence = _FIRST_SENTENCE.match(stripped)
            opening = sentence.group() if sentence else ""
            found = cue_period(opening, base, half_document)
            if (
                found is not None
                and section_periods
                and heading_period.stance == RESULT
                and found.stance == PLAN
                and not re.search(r"今年|明年|下一步|" + _YEAR, opening)
            ):
                # 「主要目标质效齐升。全年实现…」 inside a review tells how last year's targets went
                found = None
        if found is not None and found != current:
            if line.start() > start:
                segments.append(Segment(start, line.start(), current))
            current, start = found, line.start()
    segments.append(Segment(start, len(doc.text), current))
    return segments


def period_at(segments: list[Segment], offset: int) -> Period:
    """The period of the segment holding the offset."""
    for segment in segments:
        if segment.start <= offset < segment.end:
            return segment.period
    return segments[-1].period if segments else Period()


# where a sentence states its own time: a year opening it (「2020年，全省…」, 「截至2012年底」),
# not one naming a thing (「开展2019年度绩效考核」)
_ADVERBIAL = re.compile(
    r"^\s*(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）.、．])?\s*(?:截至|截止|在|于)?[^，,。；;]{0,10}"
)
# the words that state a plan among results (「拟拨付奖补资金2.06亿元」 in a half-year summary)
PLAN_WORDS = "拟|力争|计划|预计|将要|目标"
_PLAN_WORD = re.compile(PLAN_WORDS)
# in a finished year's review such a word governs only the figures after it in its clause
# (「增长5.7%，…顺利完成全年主要目标任务」 reports results)
_PLAN_IN_REVIEW = re.compile(rf"(?:{PLAN_WORDS})[^，,；;。]*?\d")


# a year said relative to now is no base of a comparison (比上年, 较上年, 上年同期, 与去年相比)
# nor the start of a change (从上一年的2.1%提高到…)
_NOT_BASE_BEFORE = r"(?<![比较从])"
_NOT_BASE_AFTER = r"(?!同期)(?!\s*(?:相比|比))"
# the year before, as a time word of a sentence or a question
_PREVIOUS_YEAR = re.compile(rf"{_NOT_BASE_BEFORE}(?:上一年|前一年|去年|上年){_NOT_BASE_AFTER}")


def sentence_period(sentence: str, context: Period) -> Period:
    """The context period, corrected by what the sentence says of its own time.

    「到2025年，…」 is a target for 2025; 「2020年，全省…」 in a 2021 plan reports 2020; a
    sentence naming several years keeps its context.
    """
    target = _TARGET_YEAR.search(sentence)
    if target:
        year = int(target.group(1) or target.group(2))
        # 「提高到2012年的1.97%」 in a 2013 report is a result; 「到2035年」 a target
        past = (context.year is not None and year < context.year) or context.stance == RESULT
        return Period(year, None, RESULT if past else PLAN)
    opening = _ADVERBIAL.match(sentence)
    years = sorted(set(_years_in(opening.group() if opening else "")))
    if len(years) == 1 and years[0] != context.year:
        year = years[0]
        if context.year is not None:
            return Period(year, None, RESULT if year < context.year else PLAN)
        return Period(year, None, context.stance)
    if (
        context.stance == PLAN
        and context.year is not None
        and _PREVIOUS_YEAR.search(sentence)
        and not re.search(rf"今年|明年|要|{PLAN_WORDS}", sentence)
    ):
        # 「粮食产量屡创历史新高，去年达到1.09万亿斤」 among the plans: the year before is reported
        return Period(context.year - 1, None, RESULT)
    if FIRST_HALF in sentence and context.half is None and context.stance == RESULT:
        return replace(context, half=FIRST_HALF)
    # 「拟拨付奖补资金2.06亿元」: a plan stated among results; a half-year's results are of a
    # year still running, where any plan word may be one, a finished year's only one that
    # governs a figure
    plan_among = _PLAN_WORD if context.half == FIRST_HALF else _PLAN_IN_REVIEW
    if context.stance == RESULT and plan_among.search(sentence):
        return replace(context, stance=None)
    return context


def covered_years(doc: Document, segments: list[Segment]) -> set[int]:
    """Every year the document speaks of: its segments' years and the years its text names."""
    years = {s.period.year for s in segments if s.period.year is not None}
    if doc.year is not None:
        years.add(doc.year)
    years.update(_years_in(doc.text))
    return years


# --- questions --------------------------------------------------------------------------------

ASKS_RESULT = re.compile(
    r"完成了|实现了|达到了|增长了|提高了|下降了|取得了?|完成情况|实际|回顾|过去一年|"
    r"一年来|成效|成绩|已经"
)
ASKS_PLAN = re.compile(
    r"目标|计划|预期|力争|拟|将要|打算|安排|部署|任务|要求|争取|预计|"
    r"(?<![主重需])要(?:突破|达到|实现|完成|新增|提高|增长|建成|培育|新建)"
)


# the words that join two things named side by side (2018年和2019年, 北京与上海): one list for
# every stage that reads such pairs
# years said relative to now, as a question says them (a year written out is read as one)
RELATIVE_YEARS = "今年|去年|明年|前年|上年|本年"
CONJUNCTIONS = "和|与|及|以及|、"

# the kinds of document this product reads, as their titles name them (the families of plans
# it is built for: 政府工作报告, 科技工作要点, 工作计划, 半年工作总结)
DOCUMENT_KINDS = ("政府工作报告", "工作要点", "工作计划", "工作总结")

# the years naming a document of those kinds (「2025年政府工作报告」, 「北京市2025年科技工作要点」,
# a place may stand between; 「2010年和2011年的政府工作报告」 names two); 报告 alone is how a
# report is spoken of (「按新疆2025年报告里去年的数据」, 「2016年国务院报告」)
_DOCUMENT_YEAR = re.compile(
    rf"(?:(?:19|20)\d\d\s*年?\s*(?:{CONJUNCTIONS})\s*)*(?:19|20)\d\d\s*年"
    rf"[^\d，。,；;？?]{{0,8}}?(?:{'|'.join(DOCUMENT_KINDS)}|报告)"
)
_A_YEAR = re.compile(r"(?:19|20)\d\d")


def document_kinds(question: str) -> tuple[str, ...]:
    """The kinds of document the question names as its source (「政府工作报告提出…」)."""
    return tuple(kind for kind in DOCUMENT_KINDS if kind in question)


def document_years(question: str) -> set[int]:
    """The years the question names as a document's (「2024年政府工作报告」): that year's own
    document, not the next year's review of it."""
    named: set[int] = set()
    for m in _DOCUMENT_YEAR.finditer(question):
        named |= _years_of(m.group())
        # a span of years naming documents (「2016—2019年国务院报告」) names each of them
        for span in _YEAR_RANGE.finditer(question, 0, m.end()):
            if span.start() < m.start() < span.end():
                named |= asked_spans(span.group())
    return named


def years_outside_documents(question: str) -> set[int]:
    """The years a question writes outside the names of documents: 2018 and 2019 in
    「2019年报告中，2018年…实际降了多少？2019年的降幅目标又是多少？」, 2024 alone in
    「江苏省2025年政府工作报告回顾，2024年…」."""
    return _years_of(_DOCUMENT_YEAR.sub(" ", question))


def _years_of(text: str) -> set[int]:
    return {int(y) for y in _A_YEAR.findall(text)}


_JOINS = re.compile(rf"{CONJUNCTIONS}|分别|各自|相比|对比|比较")


def intends(question: str) -> bool:
    """Whether the question asks what is to be done: the modal 要 before a verb (要改造, 要培育),
    read from the dictionary's tags (需要, 主要, 要求 are words of their own)."""
    return any(
        word == "要" and flag.startswith("v") and nxt_flag.startswith("v")
        for (word, flag), (_, nxt_flag) in pairwise(tagged(question))
    )


def perfective(question: str) -> bool:
    """Whether the question asks how much was done: a verb with the perfective 了 (摆脱了,
    建成了) in a question for a figure. Read from the dictionary's tags, so 了解 or 为了 are not
    it. Not of a question for items: there 了 is as often the document's own act (点名了哪些,
    举了哪些例子, 扩大到了哪些行业) as a result."""
    if not re.search(r"多少|(?<!哪)几", question):  # 哪几 asks items, as 哪些 does
        return False
    return any(
        flag.startswith("v") and nxt == "了" for (_, flag), (nxt, _) in pairwise(tagged(question))
    )


def asked_spans(question: str) -> set[int]:
    """The years of the spans and lists of years a question names (「2016年到2019年」 -> 2016,
    2017, 2018, 2019; 「2022、2024、2025这三年」 -> 2022, 2024, 2025): in a document a span is
    one multi-year plan, in a question each of its years is asked."""
    out: set[int] = set()
    for m in _YEAR_RANGE.finditer(question):
        first, last = (int(y) for y in _A_YEAR.findall(m.group()))
        out.update(range(first, last + 1))
    for m in _LISTED_YEARS.finditer(question):
        out |= _years_of(m.group())
    return out


# words asking how a figure went over the years (「这几年怎么变的」, 「逐年变化」); 「每年」 is not
# among them: 「力争每年转化100项」 states a yearly target
TREND = re.compile(r"这几年|近几年|这些年|历年|逐年|多年来|怎么变|如何变|变化|趋势|演变")


def one_of_spans(question: str, year: int) -> str:
    """The question with each span or list of years that holds the year written as that year
    alone (「2016年到2019年…怎么变」 -> 「2017年…怎么变」), as compare asks each year of it."""
    for pattern in (_YEAR_RANGE, _LISTED_YEARS):
        question = pattern.sub(
            lambda m: f"{year}年" if year in asked_spans(m.group()) else m.group(), question
        )
    return question


# the year a change is measured from (「比2016年提高了100万」, 「较2020年增长」, 「与2020年相比」,
# 「相比2020年」) is not asked; 比较 and 对比 are verbs of comparing
_BASE_YEAR = re.compile(
    r"(?:(?<!比)较|(?<!对)比(?!较))\s*(?:19|20)\d\d\s*年(?:同期)?"
    r"|(?:与|和|同|跟)\s*(?:19|20)\d\d\s*年(?:同期)?\s*(?:相比|比)"
)
# 今年, 去年 … said of the year asked, not as the base of a change
RELATIVE_YEAR_ASKED = re.compile(rf"{_NOT_BASE_BEFORE}(今年|本年|去年|上年){_NOT_BASE_AFTER}")


def without_base_years(question: str) -> str:
    """The question without the years its changes are measured from."""
    return _BASE_YEAR.sub(" ", question)


# a five-year plan's first year, said after its name (「“十二五”开局那一年」, 「十三五的第一年」)
_OPENING_YEAR = re.compile(r"[”\"]?\s*(?:规划|时期)?(?:的)?(?:开局|第一年|首年|头一年|起步)")


def question_period(question: str) -> tuple[tuple[int, ...], str | None, str | None]:
    """(years, half, stance) the question asks about; empty or None where it does not say."""
    # 「2021年」 and 「(2021)」 both name a year
    question = without_base_years(question)
    bracketed = {int(m.group(1)) for m in re.finditer(r"[(（]((?:19|20)\d\d)[)）]", question)}
    years = tuple(sorted(set(_years_in(question)) | bracketed | asked_spans(question)))
    # 「北京2025年政府工作报告中，2023年…」: the year of a named document picks the document;
    # when the question names another year besides, that one is the year it asks about. Not
    # in a question joining several things (和, 与, 分别 …): each year may name its own document
    naming = document_years(question)
    rest = set(years) - naming
    # a document's year written again on its own is asked too (「2019年报告中，2018年…实际降了
    # 多少？2019年的降幅目标又是多少？」)
    again = years_outside_documents(question) & naming
    if naming and rest and (not _JOINS.search(question) or min(len(rest), len(naming)) >= 2):
        # several years asked of several documents named (「2009年、2011年…按2010、2012年政府
        # 工作报告里的回顾」): the documents are where the years are read
        years = tuple(y for y in years if y not in naming or y in again)
    elif naming and set(years) <= naming and _PREVIOUS_YEAR.search(question):
        # 「2018年的政府工作报告说，上一年实际使用外资是多少」: the year before the document's,
        # which the document reviews
        years = tuple(sorted(y - 1 for y in naming))
    plans = five_year_plans(question)
    if plans and set(years) <= naming:
        # 「2011年报告提出，“十二五”时期…要达到多少」: the plan's target is its last year's; of
        # each plan named (「“十二五”和“十三五”各定的多少」)
        # its first year where the question says so (「“十二五”开局那一年」)
        years = tuple(
            sorted(
                {
                    last - 4 if _OPENING_YEAR.match(question, end) else last
                    for _s, end, last in plans
                }
            )
        )
    half = (
        FIRST_HALF
        if FIRST_HALF in question
        else SECOND_HALF
        if SECOND_HALF in question
        else WHOLE_YEAR
        if WHOLE_YEAR in question
        else None
    )
    result = (
        ASKS_RESULT.search(question)
        or _PREVIOUS_YEAR.search(question)
        or re.search(r"完成了", question)
        or perfective(_SET_PLAN.sub("", re.sub(r"(?:安排|部署|计划|定)了", "", question)))
    )
    plan = ASKS_PLAN.search(question) or intends(question)
    stance = None
    if result and not plan:
        stance = RESULT
    elif plan and not result:
        stance = PLAN
    own_year = bool(years) and set(years) <= _planning(question)
    if stance == RESULT and own_year and not _SAID_RESULT.search(question):
        # 「2016年政府工作报告里…补助提到了多少」: a plan holds no result of its own year; the
        # perfective tells what the document did (raised it), not what the year achieved
        stance = None
    return years, half, stance


# a verb with 了 whose object is a target (「定了多少目标」, 「提出了哪些任务」) is the document's
# act of setting it, not a result
_SET_PLAN = re.compile(
    r"[\u4e00-\u9fff]了(?=[^，,。；;？?]{0,6}?(?:目标|任务)(?:[是为]|$|[？?，,]))"
)


# words that ask a result whatever document is named
_SAID_RESULT = re.compile(r"完成情况|实际|回顾|过去一年|一年来|成效|成绩|已经")


def _planning(question: str) -> set[int]:
    """The years of the plans the question names (a report, a work plan), not of a summary:
    a summary reports its own year."""
    return {
        y
        for m in _DOCUMENT_YEAR.finditer(question)
        if not m.group().endswith("工作总结")
        for y in _years_of(m.group())
    }


def period_conflict(
    asked: tuple[tuple[int, ...], str | None, str | None], period: Period
) -> str | None:
    """Why a passage of `period` does not answer a question asking `asked`, or None."""
    years, half, stance = asked
    if years and period.year is not None and period.year not in years:
        return "year"
    if half == WHOLE_YEAR:
        # 「全年」 is not answered by a half-year figure (上半年办理…96件)
        if period.half is not None:
            return "half"
    elif half and period.half is not None and period.half != half:
        return "half"
    elif half and period.half is None and period.stance is not None:
        # a half is not answered by a whole year's result or plan: a yearly report's figure
        # is the year's (2024年技术合同成交额 does not say what the first half made)
        return "half"
    if stance and period.stance and stance != period.stance:
        return "stance"
    return None


def time_map(documents: Mapping[str, Document]) -> dict[str, list[Segment]]:
    """The time segments of every document."""
    return {doc_id: time_segments(doc) for doc_id, doc in documents.items()}
