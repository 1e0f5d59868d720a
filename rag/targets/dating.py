"""Dating a figure: the period of its sentence, unless the figure's own words say otherwise (a
present level among the plans, a five-year span, a year written right before it, the level a
change starts from)."""

from __future__ import annotations

import re

from rag.answer.spans import CLAUSE_END
from rag.lang.periods import _REVIEW, PLAN, RESULT, Period, cue_period, sentence_period
from rag.targets.figures import Figure

# the present, stated among the plans (目前, 已经): a level, not a target
_PRESENT = re.compile(r"目前|当前|已经|已有|^(?:我|全)[国省区市县]有")
# a span of years: a heading of a five-year review or plan (「过去五年工作回顾」, 「“十三五”
# 时期主要目标任务」), a sentence about five years or an average over years
_SPAN_HEADING = re.compile(
    r"(?:[一二三四五六七八九十]+、)?"
    r"(?:[“\"]?十[一二三四五六七八九]五[”\"]?(?:时期|期间)|过去五年|今后五年|五年来)"
)
_SPAN = re.compile(r"过去五年|五年来|这五年|今后五年|五年累计|年均(?:增长|增速|下降|提高|递增)")


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


def figure_period(
    text: str,
    fig: Figure,
    clause_start: int,
    context: Period,
    path: tuple[str, ...],
    frame: Period | None = None,
) -> Period:
    """The period of a figure of the sentence `text` (the section's period is `context`, its
    headings `path`; `frame` the review year an earlier sentence of its paragraph opens with,
    opening_frame)."""
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
    if (
        frame is not None
        and frame.stance == RESULT
        and frame.year is not None
        and period.year != frame.year
        and not re.search(r"(?:19|20)\d\d\s*年", text[: stop_at(stop, text)])
    ):
        # 「过去一年，我们的各项工作取得了很大成绩。国内生产总值增长10.3%…」 under 「三、2011年的
        # 工作」: the sentences after a review's opening in its paragraph report that year
        period = frame
    return _dated(text[clause_start : fig.start], period, text[fig.end + len(fig.bound) :])


# the opening clause of a sentence: what a framing sentence dates (「过去一年，…」)
_OPENING = re.compile(r"[^，,。；;：:！!？?]{1,20}")
_ONE_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")
# the genre's words for the year planned (rag.lang.periods' question cues 今年/明年/下一步)
_THIS_YEAR = re.compile(r"\s*(?:今年|明年|下一步)")
# what a framing clause names: a year, a review (rag.lang.periods' review words) or this year
_CUE = re.compile(r"(?:19|20)\d\d\s*年|" + _REVIEW.pattern + r"|今年|明年|下一步")


def opening_frame(sentence: str, base: Period) -> Period | None:
    """The period a sentence's opening clause announces for the sentences after it in its
    paragraph, read as rag.lang.periods reads a framing line (「过去一年，我们的各项工作取得了很大
    成绩。」: the year before the document's) or a single year opening it (「刚刚过去的2017年，…」);
    None when it announces none."""
    m = _OPENING.match(sentence.lstrip())
    if m is None:
        return None
    clause = m.group()
    if not _CUE.search(clause):
        return None  # most sentences: no need to read them as rag.lang.periods does
    cue = cue_period(clause, base, False)
    if cue is not None:
        return cue
    if _THIS_YEAR.match(clause):
        return Period(base.year, None, PLAN)
    # a year closing the clause is a time adverbial (「刚刚过去的2017年，」), not a thing named
    # (「开展2019年度绩效考核」)
    years = {int(y) for y in _ONE_YEAR.findall(clause)}
    if len(years) != 1 or base.year is None or not clause.rstrip().endswith("年"):
        return None
    year = years.pop()
    return Period(year, None, RESULT if year < base.year else PLAN)
