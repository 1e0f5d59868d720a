"""The answerer's mechanisms end to end, on made-up plans that are in no corpus.

A fictional 青山市 report given in 2031 reviews 2030 and plans 2031; a fictional half-year
summary reports the first half and plans the second. Questions must get the period, measure
and place they ask for, or a refusal that says what the text gives instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from rag.service import RagService
from tests.conftest import service_over

REPORT = """2031年青山市政府工作报告
——2031年1月20日在青山市第九届人民代表大会第一次会议上
青山市人民政府市长 张三
各位代表：
现在，我代表青山市人民政府，向大会报告工作，请予审议。
一、2030年工作回顾
过去一年，全市经济平稳运行。
（一）星火产业加快成长。星火产业产值达到820亿元，增长9.5%。光谷企业新增420家。
（二）创新投入持续加大。全社会研发经费投入强度达到3.1%。
二、2031年主要任务
今年发展主要预期目标是：星火产业产值增长8%左右，光谷企业新增500家。
（一）壮大星火产业。力争星火产业产值突破900亿元。
（二）加大创新投入。全社会研发经费投入增长10%以上。
"""

HALF = """青山市科技局2030年上半年工作总结及下半年工作安排
一、上半年工作开展情况
1.培育光谷企业。上半年新认定光谷企业42家。
二、下一步打算
1.培育光谷企业。力争下半年新认定光谷企业60家。
"""


@pytest.fixture
def service(settings: Settings, tmp_path: Path) -> RagService:
    return service_over(
        settings, tmp_path / "plans", {"qingshan-2031.txt": REPORT, "qingshan-kj-2030.txt": HALF}
    )


@pytest.mark.parametrize(
    ("question", "label", "figure"),
    [
        ("青山市2030年星火产业产值达到了多少?", "2030年完成情况", "820亿元"),
        ("青山市2031年光谷企业新增目标是多少家?", "2031年目标", "500家"),
        ("青山市2030年光谷企业新增了多少家?", "2030年完成情况", "420家"),
        ("青山市2030年上半年新认定光谷企业多少家?", "2030年上半年完成情况", "42家"),
        ("青山市2030年下半年计划新认定多少家光谷企业?", "2030年下半年安排", "60家"),
    ],
)
def test_the_answer_names_the_period_it_quotes(
    service: RagService, question: str, label: str, figure: str
) -> None:
    answer = service.ask(question)
    assert not answer.refused, answer.answer
    assert answer.answer.startswith(label + ":") and answer.answer.endswith(figure)
    assert figure in answer.citations[0].quote
    assert answer.citations[0].period == label


def test_keywords_for_a_figure_are_answered_with_the_figure(service: RagService) -> None:
    answer = service.ask("青山市 2031年 光谷企业新增 目标")
    assert not answer.refused and answer.qtype == "numeric", answer.answer
    assert answer.answer.startswith("2031年目标:") and answer.answer.endswith("500家")


def test_a_year_the_report_only_reviews_is_no_target(service: RagService) -> None:
    # 2030 is reviewed (results), never planned: a 2030 target is not in the text
    answer = service.ask("青山市2030年研发经费投入强度的目标是多少?")
    assert answer.refused
    assert "2030年完成情况" in answer.answer and "目标" in answer.answer
    assert answer.citations and "3.1%" in answer.citations[0].quote


def test_a_growth_rate_does_not_answer_a_share(service: RagService) -> None:
    # 2031 plans a growth of research spending (10%以上), not its share of output
    answer = service.ask("青山市2031年研发经费投入强度目标是多少?")
    assert answer.refused
    assert "增长率" in answer.answer


def test_a_share_is_answered_by_a_share(service: RagService) -> None:
    answer = service.ask("青山市2030年研发经费投入强度是多少?")
    assert not answer.refused and answer.answer.endswith("3.1%")


def test_an_uncovered_city_is_refused_by_name(service: RagService) -> None:
    answer = service.ask("惠州市2031年光谷企业新增多少家?")
    assert answer.refused and "惠州" in answer.answer


PROVINCE = """安徽省2031年星火工作要点
一、主要目标
全省新增光谷企业300家。合肥市新增光谷企业120家，肥西县建设星火园区2个。
"""


@pytest.fixture
def province(settings: Settings, tmp_path: Path) -> RagService:
    return service_over(settings, tmp_path / "province", {"anhui-2031.txt": PROVINCE})


def test_a_city_of_a_province_plan_is_answered_from_what_the_plan_says_of_it(
    province: RagService,
) -> None:
    answer = province.ask("合肥市2031年新增多少家光谷企业?")
    assert not answer.refused and answer.answer.endswith("120家")
    # the plan says nothing of 芜湖市 or a place in it: the province's figure is not its figure
    answer = province.ask("芜湖市2031年新增多少家光谷企业?")
    assert answer.refused and "安徽省" in answer.answer


@pytest.mark.parametrize(("level", "place"), [("市", "合肥市"), ("县", "肥西县")])
def test_which_city_or_county_is_answered_with_a_place_of_that_level(
    province: RagService, level: str, place: str
) -> None:
    asked = {"市": "安徽省2031年哪个市新增光谷企业120家?", "县": "安徽省2031年哪个县建设星火园区?"}
    answer = province.ask(asked[level])
    assert not answer.refused and answer.answer == place
    assert place in answer.citations[0].quote


NOTICE = """青山市科学技术局关于印发青山市科学技术局2031年工作要点的通知
青科〔2031〕7号
发布日期：2031-02-18
一、重点任务
1.建设星火实验室。新建星火实验室3家。
2.培育光谷企业。新增光谷企业50家。
3.引进科技人才。引进高层次人才团队10个。
"""


@pytest.fixture
def notice(settings: Settings, tmp_path: Path) -> RagService:
    return service_over(settings, tmp_path / "notice", {"qingshan-kj-2031.txt": NOTICE})


def test_what_are_the_key_tasks_lists_the_items_of_that_section(notice: RagService) -> None:
    answer = notice.ask("青山市科学技术局2031年有哪些重点任务?")
    assert not answer.refused and answer.qtype == "list"
    lines = answer.answer.splitlines()
    assert [line[:8] for line in lines] == ["1.建设星火实验", "2.培育光谷企业", "3.引进科技人才"]
    assert [c.quote for c in answer.citations] == lines


def test_document_number_is_answered_from_its_line(notice: RagService) -> None:
    answer = notice.ask("青山市科学技术局2031年工作要点的文号是什么?")
    assert not answer.refused and answer.answer == "青科〔2031〕7号"
    assert answer.citations[0].quote == "青科〔2031〕7号"


SHARED = """青山市2031年星火工作报告
一、2030年工作回顾
过去一年，星火产业总产值达到918.6亿元、增长7.4%，单位星火产值能耗降幅超过2%。
"""


def test_a_second_figure_of_the_same_subject_keeps_the_subject(
    settings: Settings, tmp_path: Path
) -> None:
    # 7.4% follows 918.6亿元 with only a verb (、增长): it is the growth of 星火产业总产值, not of
    # anything else; the 能耗 clause names the subject only as a modifier
    shared = service_over(settings, tmp_path / "shared", {"qingshan-2031.txt": SHARED})
    answer = shared.ask("青山市2030年星火产业总产值增长了多少?")
    assert not answer.refused, answer.answer
    assert answer.answer.endswith("增长7.4%")


COUNTERS = """青山市2031年星火民生实事
一、主要目标
今年再办好15件星火实事。一是新建星火驿站20个；二是配置星火救护设备1000台。
"""


def test_a_counter_asked_with_is_the_figures_own(settings: Settings, tmp_path: Path) -> None:
    # 多少台 is answered by 1000台, not by the 15件 or 20个 around it
    counted = service_over(settings, tmp_path / "counted", {"qingshan-2031.txt": COUNTERS})
    answer = counted.ask("青山市2031年计划配置多少台星火救护设备?")
    assert not answer.refused, answer.answer
    assert answer.answer.endswith("1000台")
    # a count in another counter does not answer it; the generic 个 asks for any
    assert counted.ask("青山市2031年星火实事要办多少台?").refused
    assert counted.ask("青山市2031年新建多少个星火驿站?").answer.endswith("20个")


def _report(year: int, done: str, plan: str) -> str:
    return (
        f"{year}年青山市政府工作报告\n一、{year - 1}年工作回顾\n"
        f"过去一年，政府工作报告的星火新增就业完成情况良好，星火新增就业{done}万人。\n"
        f"二、{year}年主要任务\n今年发展主要预期是：地区生产总值增长6%，星火新增就业{plan}万人左右。\n"
    )


def test_years_compared_share_the_stance_asked(settings: Settings, tmp_path: Path) -> None:
    # each year's target, not the next report's review of that year (6.8 is 2031's result)
    svc = service_over(
        settings,
        tmp_path / "years",
        {"qs-2031.txt": _report(2031, "6.2", "6.5"), "qs-2032.txt": _report(2032, "6.8", "7")},
    )
    answer = svc.ask("青山市2031年和2032年政府工作报告的星火新增就业目标分别是多少?")
    assert not answer.refused and answer.qtype == "compare", answer.answer
    assert "6.5万人" in answer.answer and "7万人" in answer.answer
    assert "6.8" not in answer.answer


def test_a_place_no_document_covers_is_said_so_beside_a_relative_year(
    settings: Settings, tmp_path: Path
) -> None:
    # the plans write 浙江 as content (学习浙江经验): followed by 今年 it is the place asked
    plans = {
        "qs-2031.txt": "2031年青山市政府工作报告\n一、2030年工作回顾\n全市学习浙江经验。\n"
        "二、2031年主要任务\n今年主要预期目标是：星火产值增长6%左右。\n"
    }
    svc = service_over(settings, tmp_path / "foreign", plans)
    alone = svc.ask("浙江今年星火产值增长目标是多少？")
    assert alone.refused and "浙江" in alone.answer, alone.answer
    # beside a covered place, the covered one is answered and named, the other said missing
    both = svc.ask("浙江和青山市今年的星火产值增长目标分别是多少？")
    assert not both.refused and "6%左右" in both.answer, both.answer
    assert "青山市" in both.answer and "浙江:文档不涉及" in both.answer


def test_a_province_named_by_one_character_is_the_place_asked(
    settings: Settings, tmp_path: Path
) -> None:
    plans = {
        f"{code}-2031.txt": f"2031年{name}政府工作报告\n一、2030年工作回顾\n全市经济平稳运行。\n"
        f"二、2031年主要任务\n今年主要预期目标是：星火产值增长{rate}左右。\n"
        for code, name, rate in (("sh", "上海市", "6%"), ("js", "江苏省", "5%"))
    }
    svc = service_over(settings, tmp_path / "short", plans)
    assert svc.ask("沪2031年星火产值增长目标?").answer.endswith("6%左右")
    assert svc.ask("苏2031年星火产值增长目标?").answer.endswith("5%左右")
    # a place word the documents do not cover is refused, not answered from another place
    assert svc.ask("苏南2031年星火产值增长目标?").refused


def test_figures_quoted_of_a_document_may_stand_in_two_sentences_of_it(
    settings: Settings, tmp_path: Path
) -> None:
    plans = {
        "qs-2032.txt": "2032年青山市政府工作报告\n一、2031年工作回顾\n"
        "新增星火就业1269万人，松果失业率5.1%。星火价格上涨0.9%。\n",
        "qs-2033.txt": "2033年青山市政府工作报告\n一、2032年工作回顾\n"
        "新增星火就业1269万人，松果失业率5.0%。星火价格上涨1.2%。\n",
    }
    svc = service_over(settings, tmp_path / "quoted", plans)
    answer = svc.ask("哪一年的青山市政府工作报告提到新增星火就业1269万人、星火价格上涨0.9%？")
    assert not answer.refused and answer.qtype == "which_doc", answer.answer
    assert {c.doc_id for c in answer.citations} == {"qs-2032"}, answer.answer


def test_a_review_and_a_target_asked_of_one_report_are_two_lines(
    settings: Settings, tmp_path: Path
) -> None:
    svc = service_over(settings, tmp_path / "two", {"qs-2031.txt": _report(2031, "6.2", "6.5")})
    answer = svc.ask(
        "青山市2031年政府工作报告中，2030年星火新增就业实际多少？2031年的目标又是多少？"
    )
    assert answer.qtype == "compare", answer.answer
    lines = answer.answer.splitlines()
    assert "6.2万人" in lines[0] and "2030年完成情况" in lines[0], answer.answer
    assert "6.5万人" in lines[1] and "2031年目标" in lines[1], answer.answer


def test_a_name_asked_is_not_answered_by_a_count(settings: Settings, tmp_path: Path) -> None:
    plans = {
        "qs-kj.txt": "青山市科技局2030年上半年工作总结\n一、上半年工作开展情况\n"
        "1.平台建设。新获批国家级星火空间1家、省级松果实验室2家。\n"
        "2.区县工作。白云区加强孵化建设，松果工场星火空间获批国家级。\n"
    }
    svc = service_over(settings, tmp_path / "names", plans)
    answer = svc.ask("青山市2030年上半年新获批的那家国家级星火空间叫什么？")
    assert not answer.refused and "松果工场" in answer.answer, answer.answer


def test_a_stock_beside_a_flow_rules_out_its_own_figure_only(
    settings: Settings, tmp_path: Path
) -> None:
    # 总数 belongs to 星火企业's figure: 松果企业's 新增 in the same sentence still answers
    plans = {
        "qs-2031.txt": "青山市2031年科技工作要点\n一、主要目标\n"
        "新培育松果企业2000家左右、星火企业总数达到10000家。\n"
    }
    svc = service_over(settings, tmp_path / "flows", plans)
    answer = svc.ask("青山市2031年松果企业新增多少家？")
    assert not answer.refused and answer.answer.endswith("2000家左右"), answer.answer
    # …while the figure nearest 星火企业 is its stock: no 新增 of it is stated
    assert svc.ask("青山市2031年星火企业新增多少家？").refused


def test_items_sharing_a_figure_keep_its_level(settings: Settings, tmp_path: Path) -> None:
    # 省级以上 is the level of both items that share 2家以上: no 国家级 figure is stated
    plans = {
        "qs-2031.txt": "青山市2031年科技工作要点\n一、主要任务\n"
        "加强星火空间建设，新增省级以上星火空间、松果天地2家以上。\n"
    }
    svc = service_over(settings, tmp_path / "levels", plans)
    assert svc.ask("青山市2031年计划新增多少家省级星火空间？").answer.endswith("2家以上")
    assert svc.ask("青山市2031年计划新增多少家国家级星火空间？").refused


def test_new_before_a_verb_is_a_flow() -> None:
    from rag.answer.question import contradicts

    # 新认定, 新签约 count what is added, as 新增 does; 新能源 is a name
    assert contradicts("星火企业总数目标是多少?", "力争新认定国家星火企业25家")
    assert contradicts("星火企业总数目标是多少?", "新签约松果项目30个")
    assert not contradicts("星火企业总数目标是多少?", "新能源星火企业总数达到300家")
    assert not contradicts("星火企业新增多少家?", "力争新认定国家星火企业25家")


def test_a_neighbour_is_known_by_the_name_without_its_owner(
    settings: Settings, tmp_path: Path
) -> None:
    # 旅客吞吐量 is a name the documents use (of another place): 货邮吞吐量, its neighbour, is
    # not what the asker wants of 星火机场, though no document writes 星火机场旅客吞吐量
    plans = {
        "qs-2031.txt": "2031年青山市政府工作报告\n一、2030年工作回顾\n"
        "星火机场货邮吞吐量突破80万吨，青山港集装箱吞吐量增长5%。\n",
        "by-2031.txt": "2031年白云市政府工作报告\n一、2030年工作回顾\n"
        "白云机场旅客吞吐量增长16.6%。\n",
    }
    svc = service_over(settings, tmp_path / "airports", plans)
    assert svc.ask("青山市星火机场去年货邮吞吐量是多少？").answer.endswith("突破80万吨")
    answer = svc.ask("青山市星火机场去年旅客吞吐量是多少？")
    assert answer.refused and "80万吨" not in answer.answer, answer.answer


def test_five_year_plans_compared_are_each_read_where_they_were_set(
    settings: Settings, tmp_path: Path
) -> None:
    # a plan's last-year target is set in the report of its first year, years before it
    plans = {
        "qs-2031.txt": "2031年青山市政府工作报告\n一、2030年工作回顾\n全市经济平稳运行。\n"
        "二、“十五五”时期的主要目标\n"
        "单位产值能耗和松果排放分别下降16%和17%。\n",
        "qs-2036.txt": "2036年青山市政府工作报告\n一、2035年工作回顾\n全市经济平稳运行。\n"
        "二、“十六五”时期的主要目标\n"
        "单位产值用水量、能耗、松果排放量分别下降23%、15%、18%。\n",
    }
    svc = service_over(settings, tmp_path / "plans", plans)
    answer = svc.ask("青山市松果排放下降目标，“十五五”和“十六五”各定的多少？")
    assert not answer.refused and answer.qtype == "compare", answer.answer
    lines = answer.answer.splitlines()
    assert len(lines) == 2 and "17%" in lines[0] and "18%" in lines[1], answer.answer
    assert "2030年目标" in lines[0] and "2035年目标" in lines[1]


def _city_report(city: str, harvest: str, area: str) -> str:
    return (
        f"2031年{city}政府工作报告\n一、2030年工作回顾\n"
        f"过去一年，全市经济平稳运行。星火粮仓总产达{harvest}亿斤、创历史新高。\n"
        f"二、2031年主要任务\n今年发展主要预期目标是：地区生产总值增长6%左右。\n"
        f"稳定星火粮仓生产，确保星火粮仓播种面积稳定在{area}万亩以上。\n"
    )


def test_places_compared_in_one_period_share_its_stance(settings: Settings, tmp_path: Path) -> None:
    """「青山市和松果市去年各收了多少…」 asks each place's result: a place whose line would be
    its plan for this year (an area to sow) is not answered so."""
    svc = service_over(
        settings,
        tmp_path / "places",
        {
            "qs-2031.txt": _city_report("青山市", "61.5", "714"),
            "sg-2031.txt": _city_report("松果市", "78.2", "965"),
        },
    )
    answer = svc.ask("青山市和松果市去年的星火粮仓总产各是多少?")
    assert not answer.refused and answer.qtype == "compare", answer.answer
    assert "61.5亿斤" in answer.answer and "78.2亿斤" in answer.answer
    sown = svc.ask("青山市和松果市去年星火粮仓各收了多少?")
    assert "714" not in sown.answer and "965" not in sown.answer, sown.answer


def test_a_bound_or_total_asked_is_form_not_content() -> None:
    """「最少要达到多少」, 「一共…多少」 frame the figure asked; the text writes its bound its own
    way (不少于, 以上), so the asking words are no evidence a sentence must hold."""
    from rag.answer.question import question_terms

    bare = question_terms("星火新增就业要达到多少人?", (), {})
    for asked in ("星火新增就业最少要达到多少人?", "星火新增就业一共要达到多少人?"):
        assert question_terms(asked, (), {}).variants == bare.variants


def test_neighbour_names_share_a_frame_with_another_filler() -> None:
    from rag.answer.question import neighbour_names

    stated = "星火新增就业90万人以上，星火登记失业率4.5%以内。"
    assert neighbour_names("星火调查失业率", stated) == ["星火调查失业率", "调查失业率"]
    # a word inserted or left out, or the asked name itself, is no neighbour
    assert neighbour_names("光谷投入强度", "光谷经费投入强度达到2.5%") == []
    assert neighbour_names("青山星火专项债券", "安排青山专项债券900亿元") == []
    assert neighbour_names("星火调查失业率", "星火调查失业率5.5%左右") == []
    # nor is a name scoped by a form word (全省 for 全社会: the whole of another extent)
    assert neighbour_names("全社会光谷投入强度", "全省光谷投入强度达到2.0%") == []
    # nor a filler holding a form word: 「排放量分别下降」 is the asked 排放 declining
    assert neighbour_names("星火碳排放强度下降", "星火碳排放量分别下降18%") == []


def _national_jobs(year: int, rates: str) -> str:
    return (
        f"{year}年政府工作报告\n一、{year - 1}年工作回顾\n过去一年，经济运行总体平稳。\n"
        f"二、{year}年政府工作任务\n今年发展主要预期目标是：星火新增就业90万人以上，{rates}。\n"
    )


def test_a_neighbour_of_a_name_the_documents_use_does_not_answer(
    settings: Settings, tmp_path: Path
) -> None:
    """2031 plans the 登记 rate only; 2032 the 调查 rate: 「2031年星火调查失业率目标」 is not in
    the text, and 2031's 登记 rate is not it. A paraphrase (no such name in the documents)
    keeps its answers."""
    svc = service_over(
        settings,
        tmp_path / "rates",
        {
            "n-2031.txt": _national_jobs(2031, "星火登记失业率4.5%以内"),
            "n-2032.txt": _national_jobs(2032, "星火调查失业率5.5%左右"),
        },
    )
    assert "5.5%" in svc.ask("2032年星火调查失业率目标是多少?").answer
    refused = svc.ask("2031年星火调查失业率目标是多少?")
    assert refused.refused and "4.5%" not in refused.answer
    assert "4.5%" in svc.ask("2031年星火登记失业率目标是多少?").answer


_PLANS_2031 = (
    "2031年青山市政府工作报告\n一、2030年工作回顾\n过去一年，全市经济平稳运行。\n"
    "二、2031年主要任务\n今年发展主要预期目标是：地区生产总值增长6%左右。\n"
    "稳定松果生产，松果种植面积稳定在1100万亩以上。\n"
    "提升医疗水平，建成投运4个星火医疗中心。\n"
)


def test_a_unit_of_measurement_asked_is_the_figures_dimension(
    settings: Settings, tmp_path: Path
) -> None:
    """「产量目标是多少万吨」 asks a weight: a sown area in 万亩 is no answer; a weight in 亿斤
    (another unit of the same dimension) is."""
    svc = service_over(settings, tmp_path / "units", {"qs-2031.txt": _PLANS_2031})
    refused = svc.ask("青山市2031年松果产量目标是多少万吨?")
    assert refused.refused and "1100" not in refused.answer
    weighed = service_over(
        settings,
        tmp_path / "weighed",
        {"qs-2031.txt": _PLANS_2031.replace("种植面积稳定在1100万亩", "产量稳定在18亿斤")},
    )
    assert "18亿斤" in weighed.ask("青山市2031年松果产量目标是多少万吨?").answer


def test_a_figure_quoted_in_a_question_for_items_is_in_its_answer(
    settings: Settings, tmp_path: Path
) -> None:
    """「5个星火医疗中心分别是哪几个」 where the plan builds 4: no sentence answers it."""
    svc = service_over(settings, tmp_path / "quoted", {"qs-2031.txt": _PLANS_2031})
    answer = svc.ask("青山市2031年计划建成投运的5个星火医疗中心分别是哪几个?")
    assert answer.refused, answer.answer


def test_a_list_item_keeps_the_measure_the_item_before_names(
    settings: Settings, tmp_path: Path
) -> None:
    """「星火整车产量200万辆、光谷汽车140万辆」: the second item leaves 产量 out; 140万辆 is the
    光谷汽车 output asked, not the first item's figure."""
    text = _PLANS_2031.replace(
        "提升医疗水平，建成投运4个星火医疗中心。",
        "支持龙头企业扩量提质，力争星火整车产量200万辆、光谷汽车140万辆。",
    )
    svc = service_over(settings, tmp_path / "elided", {"qs-2031.txt": text})
    answer = svc.ask("青山市2031年光谷汽车产量目标是多少辆?")
    assert not answer.refused and answer.answer.endswith("140万辆"), answer.answer


def test_an_item_naming_its_own_measure_or_unit_keeps_its_words() -> None:
    from rag.answer.spans import owned_words

    def words(text: str) -> list[str]:
        return [left for _f, left, _r in owned_words(text)]

    assert words("新增星火企业1500家、光谷企业200家。")[1] == "光谷企业"
    assert words("星火产值200亿元、光谷企业140家。")[1] == "光谷企业"


def test_a_change_asked_one_way_is_not_answered_by_one_the_other_way(
    service: RagService,
) -> None:
    """「星火产业产值下降了多少」: the report gives a growth of 9.5%, not a fall."""
    answer = service.ask("青山市2030年星火产业产值下降了多少?")
    assert answer.refused and "9.5%" not in answer.answer, answer.answer
    assert "9.5%" in service.ask("青山市2030年星火产业产值增长了多少?").answer


def test_a_figure_quoted_in_an_open_question_is_in_its_answer(service: RagService) -> None:
    """「为何要力争星火产业产值突破950亿元」: the plan says 900亿元; no sentence answers it."""
    answer = service.ask("青山市为何要力争星火产业产值突破950亿元?")
    assert answer.refused, answer.answer


def test_the_year_of_a_named_report_is_no_period_for_a_name_asked(
    settings: Settings, tmp_path: Path
) -> None:
    """「青山市2031年政府工作报告提到，…的是哪个园区」: the year names the report, which says it in
    its review of 2030."""
    text = REPORT.replace(
        "光谷企业新增420家。", "光谷企业新增420家。松果园区获评全国星火示范园区。"
    )
    svc = service_over(settings, tmp_path / "named", {"qingshan-2031.txt": text})
    answer = svc.ask("青山市2031年政府工作报告提到，获评全国星火示范园区的是哪个园区?")
    assert not answer.refused and "松果园区" in answer.answer, answer.answer
