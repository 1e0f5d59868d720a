"""Time: periods of passages and questions, on made-up plans that are in no corpus."""

from __future__ import annotations

import pytest

from rag.ingest.outline import parse_sections
from rag.lang.periods import (
    FIRST_HALF,
    PLAN,
    RESULT,
    WHOLE_YEAR,
    Period,
    covered_years,
    cue_period,
    one_of_spans,
    period_at,
    period_conflict,
    plan_span_end,
    question_period,
    sentence_period,
    time_segments,
)
from rag.records import Document

# a fictional report given in 2031: it reviews 2030 under a numbered heading, then plans 2031
REPORT = """青山市政府工作报告
各位代表：
一、2030年工作回顾
过去一年，全市星火指数达到118，光谷企业新增420家。
一年来，我们主要做了以下工作。
二、2031年主要任务
今年发展主要预期目标是：星火指数达到125，光谷企业新增500家。
(一)培育光谷企业
力争光谷企业总数突破3000家。
"""

# the same facts without numbered headings: the framing lines alone carry the periods
PLAIN = """青山市政府工作报告
2030年工作回顾
过去一年，全市星火指数达到118。
(一)壮大光谷。光谷企业新增420家。
2031年工作安排
今年是收官之年。星火指数达到125。
(一)壮大光谷。光谷企业新增500家。
"""

# the same report with slogan headings (no period word in them): each part's opening sentence
# says which year it speaks of, as 「一、牢记殷殷嘱托，在接续奋斗中…取得新成效」 opens with
# 「2024年是…的一年」 in a real report
SLOGANS = """青山市政府工作报告
各位代表：
一、不忘初心，在接续奋斗中青山建设取得新成效
{opening}
（一）壮大星火产业，产业体系进一步提升
星火指数达到118，光谷企业新增420家。
（二）办好民生实事，群众生活稳步改善
新增托位1700个。
二、牢记使命，在新征程上奋勇争先
今年是收官之年。
（一）壮大星火产业
星火指数达到125，光谷企业新增500家。
"""

# a half-year summary and second-half plan
HALF = """青山市科技局2030年上半年工作总结及下半年工作安排
一、上半年工作开展情况
1.星火计划。上半年新增光谷企业42家。
二、下一步打算
1.星火计划。下半年新增光谷企业60家。
"""


def _doc(text: str, title: str, year: int) -> Document:
    return Document("d", "d.txt", text, title, "0", year=year, sections=parse_sections(text))


def _period_of(doc: Document, phrase: str) -> Period:
    at = doc.text.index(phrase)
    return sentence_period(phrase, period_at(time_segments(doc), at))


@pytest.mark.parametrize("text", [REPORT, PLAIN])
def test_a_report_reviews_last_year_and_plans_this_one(text: str) -> None:
    doc = _doc(text, "青山市政府工作报告", 2031)
    assert _period_of(doc, "星火指数达到118") == Period(2030, None, RESULT)
    assert _period_of(doc, "光谷企业新增420家") == Period(2030, None, RESULT)
    assert _period_of(doc, "星火指数达到125") == Period(2031, None, PLAN)
    assert _period_of(doc, "光谷企业新增500家") == Period(2031, None, PLAN)


@pytest.mark.parametrize(
    "opening",
    [
        "2030年是青山发展历程中具有里程碑意义的一年。\n一年来，我们主要做了以下工作：",
        "一年来，我们坚持稳中求进，全市经济持续回升向好。",
    ],
)
def test_a_part_headed_by_a_slogan_takes_the_period_its_opening_announces(opening: str) -> None:
    doc = _doc(SLOGANS.format(opening=opening), "青山市政府工作报告", 2031)
    assert _period_of(doc, "星火指数达到118") == Period(2030, None, RESULT)
    assert _period_of(doc, "新增托位1700个") == Period(2030, None, RESULT)
    assert _period_of(doc, "星火指数达到125") == Period(2031, None, PLAN)


def test_a_part_whose_opening_announces_nothing_keeps_the_documents_period() -> None:
    text = SLOGANS.format(opening="全市上下团结一心，攻坚克难。")
    doc = _doc(text, "青山市政府工作报告", 2031)
    assert _period_of(doc, "星火指数达到118") == Period(2031, None, PLAN)


def test_a_half_year_summary_reports_the_first_half_and_plans_the_second() -> None:
    doc = _doc(HALF, "青山市科技局2030年上半年工作总结及下半年工作安排", 2030)
    assert _period_of(doc, "上半年新增光谷企业42家") == Period(2030, "上半年", RESULT)
    assert _period_of(doc, "下半年新增光谷企业60家") == Period(2030, "下半年", PLAN)


def test_a_sentence_naming_its_own_year_overrides_its_context() -> None:
    context = Period(2031, None, PLAN)
    assert sentence_period("2029年，全市星火指数达到110。", context) == Period(2029, None, RESULT)
    assert sentence_period("到2035年，星火指数达到150。", context) == Period(2035, None, PLAN)
    # a span of years is a multi-year plan, not a year of its own
    assert sentence_period("2026-2030年累计新增光谷企业2000家。", context) == context


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("青山市2031年星火指数目标是多少?", ((2031,), None, PLAN)),
        ("青山市2030年星火指数达到了多少?", ((2030,), None, RESULT)),
        ("青山市2030年下半年计划新增多少光谷企业?", ((2030,), "下半年", PLAN)),
        ("青山市星火指数是多少?", ((), None, None)),
        ("青山市星火工程(2030)新增多少企业?", ((2030,), None, None)),
        # any verb with the perfective 了 asks a result of a figure question, not only a listed one
        ("青山市2030年有多少松果林摆脱了虫害?", ((2030,), None, RESULT)),
        ("青山市2030年了解到多少光谷企业?", ((2030,), None, None)),  # 了解 is not 了
        ("青山市2030年星火工程点名了哪些企业?", ((2030,), None, None)),  # items: the text's act
        # the modal 要 before any verb asks a plan (a dictionary tag, not a list of verbs)
        ("青山市2031年工作要点提出当年要改造多少座松果仓?", ((2031,), None, PLAN)),
        ("青山市2031年需要多少松果?", ((2031,), None, None)),  # 需要 is a word of its own
        # the year of a named document picks the document; the other year is the one asked
        ("青山市2032年政府工作报告中，2030年松果产量是多少?", ((2030,), None, None)),
        # 了 after a planning verb (安排了, 计划了) asks what was planned, not a result
        ("青山市2031年松果投入安排了多少?", ((2031,), None, PLAN)),
        ("青山市2030年松果工程完成了多少?", ((2030,), None, RESULT)),
        # 了 in a question for items is as often the document's act (扩大到了哪几个行业)
        ("2031年星火试点扩大到了哪几个行业?", ((2031,), None, None)),
        # …and so after a verb whose object is the target (定了多少目标, 提出了多少任务)
        ("青山市2031年松果投入强度定了多少目标?", ((2031,), None, PLAN)),
        ("青山市2030年松果工程完成了多少目标?", ((2030,), None, None)),
        # 定了 sets a figure, as 安排了 does: no result is asked
        ("2030年和2031年的报告压减松果产能各定了多少?", ((2030, 2031), None, None)),
        ("压减松果产能的年度任务，2031年的报告定了多少?", ((2031,), None, PLAN)),
        # the year a change is measured from is not asked (比较 is the verb compare)
        ("青山市2031年松果产量目标是多少?有人说比2030年提高了100万", ((2031,), None, None)),
        ("比较2030年和2031年的松果产量", ((2030, 2031), None, None)),
        ("松果投资各安排了多少?对比2030年、2031年的报告", ((2030, 2031), None, PLAN)),
        # the year before a named document's is the year it reviews
        ("青山市2032年政府工作报告回顾的上一年，松果产量是多少?", ((2031,), None, RESULT)),
        ("青山市2032年政府工作报告说，去年松果产量增长了多少?", ((2031,), None, RESULT)),
        # …but 比上年 is the base of a growth, not the year asked, nor 从上一年的 the start of
        # a change the named document sets
        (
            "青山市2031年政府工作报告里，松果赤字率从上一年的多少提高到了多少?",
            ((2031,), None, None),
        ),
        ("青山市2032年政府工作报告提出，今年松果产量比上年增长多少?", ((2032,), None, None)),
        # a five-year plan named in the question dates its target to the plan's last year
        ("青山市2031年政府工作报告提出，“十五五”时期松果产量要达到多少?", ((2030,), None, PLAN)),
        # …and to its first year where the question says so
        ("“十五五”开局那一年松果产量是多少?", ((2026,), None, None)),
        # a document's year written again on its own is asked as well
        (
            "青山市2031年政府工作报告中，2030年松果产量实际增长多少?2031年的增长目标又是多少?",
            ((2030, 2031), None, None),
        ),
        # …each plan's, when several are named
        (
            "松果产量目标，“十五五”和“十六五”各定的多少?按2031年和2036年政府工作报告",
            ((2030, 2035), None, PLAN),
        ),
        # …unless the question joins two documents, each with its year
        (
            "青山市2031年工作要点与白水县2030年全年的松果产量分别是多少?",
            ((2030, 2031), "全年", None),
        ),
    ],
)
def test_question_period(question: str, asked: tuple[object, ...]) -> None:
    assert question_period(question) == asked


def test_conflicts_name_what_differs() -> None:
    review = Period(2030, None, RESULT)
    assert period_conflict(((2031,), None, None), review) == "year"
    assert period_conflict(((2030,), None, PLAN), review) == "stance"
    assert period_conflict(((2030,), None, RESULT), review) is None
    assert period_conflict(((), "下半年", None), Period(2030, "上半年", RESULT)) == "half"
    assert period_conflict(((), None, None), review) is None


def test_a_report_covers_the_year_it_reviews() -> None:
    doc = _doc(REPORT, "青山市政府工作报告", 2031)
    assert {2030, 2031} <= covered_years(doc, time_segments(doc))


def test_labels_name_year_half_and_stance() -> None:
    assert Period(2030, None, RESULT).label() == "2030年完成情况"
    assert Period(2031, None, PLAN).label() == "2031年目标"
    assert Period(2030, "下半年", PLAN).label() == "2030年下半年安排"
    assert Period().label() == ""


def test_a_whole_year_and_a_half_year_never_answer_each_other() -> None:
    whole = question_period("青山市2031年全年办理许可多少件?")
    first = question_period("青山市2031年上半年办理许可多少件?")
    assert whole[1] == WHOLE_YEAR and first[1] == FIRST_HALF
    half_result = Period(2031, FIRST_HALF, RESULT)
    year_result = Period(2031, None, RESULT)
    year_plan = Period(2031, None, PLAN)
    assert period_conflict(whole, half_result) == "half"  # 上半年办理96件 is not the year's
    assert period_conflict(whole, year_result) is None
    assert period_conflict(first, year_result) == "half"  # the year's figure is not the half's
    assert period_conflict(first, year_plan) == "half"
    assert period_conflict(first, half_result) is None
    # a passage whose stance is unknown may still speak of the half
    assert period_conflict(first, Period(2031, None, None)) is None


def test_a_five_year_review_at_the_start_of_a_heading_speaks_of_no_single_year() -> None:
    base = Period(2031, None, PLAN)
    assert cue_period("过去五年工作回顾", base, False) == Period(None, None, RESULT)
    assert cue_period("一、2030年工作回顾", base, False) == Period(2030, None, RESULT)
    assert cue_period("一、过去一年工作回顾", base, False) == Period(2030, None, RESULT)


FIVE_YEAR = """青山市政府工作报告
一、2030年工作回顾
星火指数达到118。
二、“十六五”时期的主要目标和任务
星火指数达到160，松果产量翻一番。
三、2031年工作安排
星火指数达到125。
"""


def test_a_five_year_plans_targets_are_for_its_last_year_not_the_reports() -> None:
    # the 16th five-year plan runs 2031-2035 (the Nth from the third on ends in 1970 + 5(N-3))
    doc = _doc(FIVE_YEAR, "青山市政府工作报告", 2031)
    assert _period_of(doc, "星火指数达到160") == Period(2035, None, PLAN)
    assert _period_of(doc, "星火指数达到125") == Period(2031, None, PLAN)
    assert plan_span_end("今后五年的主要目标", Period(2031)) == 2035
    assert plan_span_end("2031年主要目标", Period(2031)) is None


def test_a_plan_word_among_a_finished_years_results_governs_only_its_clause() -> None:
    """「…增长5.2%，圆满完成全年目标任务」 in a review of 2030 reports results (目标 governs no
    figure); 「拟新建光谷站3个」 there states a plan; in a half-year's results, of a year still
    running, any plan word may state one."""
    review = Period(2030, None, RESULT)
    done = "全市星火指数增长5.2%，圆满完成全年主要目标任务。"
    assert sentence_period(done, review) == review
    assert sentence_period("全市拟新建光谷站3个。", review).stance is None
    half = Period(2031, FIRST_HALF, RESULT)
    assert sentence_period("组织开展市星火计划项目申报，安排项目7项。", half).stance is None


def test_a_year_before_the_documents_framed_with_plan_words_is_reviewed() -> None:
    """「刚刚过去的2030年，主要目标任务全面完成」 in a 2031 report: a past year is not planned."""
    base = Period(2031, None, PLAN)
    framed = "刚刚过去的2030年，经济社会发展主要目标任务全面完成。"
    assert cue_period(framed, base, False) == Period(2030, None, RESULT)
    assert cue_period("2031年主要目标任务", base, False) == Period(2031, None, PLAN)


def test_last_year_named_among_the_plans_is_reported() -> None:
    """「松果产量屡创新高，去年达到1.09万亿斤」 in the 2031 plans reports 2030; a sentence that
    also plans (今年, 要) keeps its context, and 比去年 is a comparison's base."""
    plans = Period(2031, None, PLAN)
    reported = sentence_period("松果产量屡创新高，去年达到1.09万亿斤。", plans)
    assert reported == Period(2030, None, RESULT)
    mixed = "去年星火指数增长5%，今年要增长6%。"
    assert sentence_period(mixed, plans) == plans
    assert sentence_period("星火指数比去年提高2个百分点。", plans) == plans


def test_a_span_or_list_of_years_in_a_question_is_its_years() -> None:
    assert question_period("2030年到2033年星火赤字率是怎么变的?")[0] == (2030, 2031, 2032, 2033)
    assert question_period("2030—2032年星火赤字率各是多少?")[0] == (2030, 2031, 2032)
    assert question_period("2030、2032、2035这三年的星火赤字率各是多少?")[0] == (2030, 2032, 2035)
    assert question_period("2030到2031年星火赤字率?")[0] == (2030, 2031)
    # an amount after a year is no year of a list (「2030年星火投入2000、3000亿元」)
    assert question_period("2030年星火投入2000亿元，是多少?")[0] == (2030,)
    assert one_of_spans("2030、2032这两年星火赤字率各是多少?", 2032) == "2032年星火赤字率各是多少?"
    assert one_of_spans("2030年到2033年星火赤字率怎么变?", 2031) == "2031年星火赤字率怎么变?"


def test_a_report_spoken_of_names_its_year_and_its_own_year_holds_no_result() -> None:
    """「按星河2031年报告里去年的数据」 reads 2030 in the 2031 report, as 政府工作报告 would; a plan
    holds no result of its own year, so 「提到了多少」 in it asks what it planned; a summary
    reports its own year, and 实际 asks a result whatever is named."""
    assert question_period("松果占全国多大比例？按星河2031年报告里去年的数据。") == (
        (2030,),
        None,
        RESULT,
    )
    assert question_period("2031年政府工作报告里，松果补助提到了多少钱?")[2] is None
    assert question_period("2031年星河工作总结里，松果补助提到了多少钱?")[2] == RESULT
    assert question_period("2031年政府工作报告里，2031年松果产量实际增长了多少?")[2] == RESULT


def test_years_asked_of_documents_named_are_the_years_asked() -> None:
    """「2029年、2031年…按2030、2032年报告里的回顾」: the documents are where the years are read;
    the years asked are 2029 and 2031."""
    question = (
        "2029年、2031年星火松果产量实际增长了多少？按2030、2032年政府工作报告里的回顾来对比。"
    )
    assert question_period(question)[0] == (2029, 2031)
    # each year naming its own document is asked (「2030年和2031年的政府工作报告分别…」)
    assert question_period("2030年和2031年的政府工作报告分别提出松果产量多少?")[0] == (2030, 2031)
    # a span of years before the documents' name names each of them, and each is asked
    span = "2030—2032年政府工作报告里星火专项债券是怎么逐年变化的?"
    assert question_period(span)[0] == (2030, 2031, 2032)
