"""Answerer pieces: question types, figure extraction, the number promise."""

from __future__ import annotations

import dataclasses

import pytest

from rag.answer.assess import Scored
from rag.answer.evidence import Candidate
from rag.answer.extractive import number_violations
from rag.answer.pick import Misses, pick, self_names
from rag.answer.question import (
    Terms,
    classify,
    head_phrase,
    literal_figures,
    question_terms,
    unit_hint,
)
from rag.answer.spans import Sentence, figures, owned_words
from rag.lang.periods import Period
from rag.records import Answer, Chunk, Citation, Document, Hit


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("陕西省2022年技术合同成交额目标是多少?", "numeric"),
        ("安徽省新增几家省级科技特派员工作站?", "numeric"),
        ("安徽省2021年重大专项聚焦哪些重点领域?", "list"),
        ("安徽省要加快建设哪个区域科技创新中心?", "entity"),
        ("哪个省份提出建设秦创原创新驱动平台?", "which_doc"),
        ("安徽省和陕西省分别新增多少高新技术企业?", "compare"),
        ("关于科技特派员有什么安排", "open"),
        ("芜湖市2020年上半年在安徽全省100强高新技术企业中占了几席?", "numeric"),
        ("陕西省2022年提出要培育哪些类别的科技人才和团队,各多少?", "list"),
        # two years, each with its figure, whatever verb stands after 各
        ("2030年和2031年的星火赤字率各按多少安排?", "compare"),
        # several years asked a figure: one per year, unless the figure is the span's own
        ("2030年、2031年、2032年星火赤字率是多少?", "compare"),
        ("2030年到2032年星火赤字率是怎么变的?", "compare"),
        ("2030年到2032年累计新增星火企业多少家?", "numeric"),
        # years typed as keywords (「星火专项债券 2030 2031 规模」, 年 added by normalising)
        ("星火专项债券 2030年 2031年 规模", "compare"),
        # 「从哪一年开始」 asks when: the year of the document that says it first
        ("星火报告是从哪一年开始把松果产量列为预期目标的?", "which_doc"),
        # 哪几 with 各多少 enumerates as 哪些 does: the items with their figures
        ("青山市今年要建的68个星火站包括哪几类、各多少?", "list"),
        # 分别 before 哪几 enumerates one place's items, as before 哪些
        ("青山市2031年的三大星火中心分别是哪几个领域?", "list"),
        # …also with a verb between them
        ("青山市在星火和松果人才上分别定了哪些数量目标?", "list"),
        # keywords typed as into a search box, ending in a measured thing, want its figure
        ("青山市 2031年 松果产量 目标", "numeric"),
        ("青山市 2031年 星火企业 总数", "numeric"),  # a count's noun (总数, 个数, 人数)
        ("青山市2031年星火产业产值?", "numeric"),
        ("青山市星火产业发展情况", "open"),
    ],
)
def test_classify(question: str, qtype: str) -> None:
    assert classify(question) == qtype


def _sentence(text: str) -> Sentence:
    chunk = Chunk("d:0", "d", "d.txt", "s0", (), 100, 100 + len(text), text, text)
    return Sentence("d", 100, 100 + len(text), text, Hit(chunk, 1.0), 1.0)


def _scored(*sentences: Sentence) -> list[Scored]:
    """Sentences as the answerer scores them: equally probable, of no particular period."""
    return [Scored(s, Candidate(1, 1, 0, 1, 1, 1), Period(), None, 1.0) for s in sentences]


def test_figure_next_to_the_asked_term_wins() -> None:
    sent = _sentence("新增高新技术企业1500家、瞪羚企业200家。")
    terms = question_terms("新增多少高新技术企业", [], {})
    figs = {f.text: f for f in figures(sent, terms)}
    assert set(figs) == {"1500家", "200家"}
    assert figs["1500家"].local > figs["200家"].local
    assert figs["1500家"].start == 108


def test_figures_keep_units_and_qualifiers_and_skip_years() -> None:
    sent = _sentence("2021年技术合同成交额达到2500亿元,增长8%左右,评价1.3万家。")
    texts = [f.text for f in figures(sent, Terms((frozenset({"合同"}),), {}))]
    assert texts == ["2500亿元", "8%左右", "1.3万家"]


def test_number_violations() -> None:
    cite = Citation("d", "d.txt", "t", (), 0, 10, "达到2500亿元")
    ok = Answer("q", "2500亿元", False, (cite,))
    bad = Answer("q", "2600亿元【1】", False, (cite,))
    assert number_violations(ok) == []
    assert number_violations(bad) == ["2600"]
    assert number_violations(Answer("q", "文档中没有2022年的计划", True)) == []


def _doc(doc_id: str, region: str) -> Document:
    return Document(
        doc_id, f"{doc_id}.txt", "正文", f"{region}工作总结", "0", None, region, region[-1]
    )


def test_a_figure_the_place_states_of_itself_beats_a_districts() -> None:
    # among figures the question's words fit equally, one the city states of itself (我市) wins
    # over a district's: it breaks ties, it does not outweigh evidence
    docs = {"d": _doc("d", "芜湖市"), "p": _doc("p", "安徽省")}
    question = "芜湖市2020年上半年有多少家企业跻身安徽省高企百强?"
    own = self_names(question, docs)
    assert own == {"d": ("我市", "全市", "本市"), "p": ("我省", "全省", "本省")}
    assert self_names("陕西省2022年的目标", docs) == {}
    district = _sentence("经开区入围全省百强高企14家;")
    city = _sentence("我市入围全省百强高企23家。")
    terms = question_terms(question, ["芜湖市", "芜湖", "安徽省", "安徽"], {})
    got = pick("numeric", _scored(district, city), terms, 0.1, question=question, own=own)
    assert got is not None and got.text == "23家"
    # without the place in the question there is no such preference
    got = pick("numeric", _scored(district, city), terms, 0.1, question=question)
    assert got is not None and got.text == "14家"


def test_asking_words_are_form_and_figures_in_a_wording_are_content() -> None:
    # 「几席」 asks; 「100强」 is a name (also written 百强) that a sentence must match
    terms = question_terms("在全省100强高新技术企业中占了几席", [], {})
    assert all("几席" not in v for v in terms.variants)
    assert "100强" in terms.variants[0]
    assert any("百强" in v for v in terms.variants[1:])
    assert terms.coverage("全省百强高企我市占23家") > terms.coverage("新认定高新技术企业189家")
    # a figure the question quotes must be in the answer's sentence; one inside a wording not
    assert literal_figures("2500亿元是哪个省2022年的目标?") == ["2500"]
    assert literal_figures("芜湖市2020年在全省100强中占几席?") == []
    # a figure in quotation marks is a name or a claim, and one of a sentence that asks
    # nothing is the claim to check: neither is required of the answer's sentence
    assert literal_figures("那份提出建强“6+1”星火平台的要点，新认定多少家?") == []
    assert literal_figures("有稿子写“星火赤字率按3%安排”，核一下：赤字率按多少安排?") == []
    assert literal_figures("星火企业总数目标是多少家？我稿子里写的是1万家。") == []
    assert literal_figures("星火企业总数1万家是哪个省的目标?") == ["1"]
    # asked which place, a quoted figure identifies it
    assert literal_figures("“2500亿元”是哪个省的星火目标?") == ["2500"]
    assert literal_figures("有个目标是新增星火企业1万家。是哪个省定的?") == ["1"]
    # an asking counter is dropped only when it stands alone: 「多少项目」 keeps 项目
    assert "项目" in question_terms("组织实施多少项目", [], {}).variants[0]


@pytest.mark.parametrize(
    ("question", "head"),
    [
        ("陕西省2022年技术合同成交额目标是多少?", "同成交额"),
        ("安徽2021年新增多少家工作站?", "工作站"),
        # a long noun phrase after the counter ends in its head: both ends are kept
        ("陕西省2022年建设多少个专门做试验放大、技术熟化的成果转化基地?", "专门做试 转化基地"),
        ("孵化器一共少收了多少房租和服务费?", "房租和服 和服务费"),
        # places compared after a comma: the thing measured is in the clause before them
        ("2031年松果产量目标，云南和全国分别是多少?", "松果产量"),
        # a bracketed gloss before 是多少 is part of the phrase, not its end
        ("青山市星火强度（星火投入占产值比重）是多少?", "产值比重"),
        # the base a change is measured from is no part of the thing (比上年; 比重 stays whole)
        ("青山市2031年松果经费支出比上年增长多少?", "经费支出"),
        ("青山市松果产值比重是多少?", "产值比重"),
        # form words after the asking word (多少目标) name no thing: the thing is before it
        ("青山市今年的松果投入强度定了多少目标?", "投入强度"),
        # the money asked for is named with what raises or spends it
        ("青山市星火引导基金全年打算募集多少资金?", "引导基金 资金"),
        # a document named after a comma measures nothing: the thing is in the clause before
        ("压减星火产能的年度任务，2031年的报告定了多少?", "产能任务"),
        # a clause of stance words and verbs alone asks of the thing of the clause before
        ("青山市去年给困难老人免费做松果手术，实际做了多少人?", "松果手术"),
        # …not a clause with no word left: its thing is unsaid, not the clause before's
        ("根据青山市松果报告，今年目标是多少?", ""),
    ],
)
def test_head_phrase(question: str, head: str) -> None:
    assert head_phrase(question) == head


def test_a_plans_form_words_after_the_asking_word_name_no_thing() -> None:
    # 「定了多少人的任务」: 任务 (as 目标) is the plan's form; the thing is before the asking word
    question = "2031年报告给当年星火移民安置定了多少人的任务?"
    assert "任务" not in head_phrase(question, whole=True)
    assert "星火" in head_phrase(question, whole=True)


def test_the_level_nearest_a_figure_is_its_own() -> None:
    """「争创国家级星火县1家、省级星火县10家」: 1家's clause names 省级 too, but the level
    nearest before it is 国家级; asked for 省级, 10家 answers."""
    question = "省级星火县要争创几家?"
    terms = question_terms(question, [], {})
    sent = _sentence("制定省级星火县工作指引,争创国家级星火县1家、省级星火县10家。")
    got = pick("numeric", _scored(sent), terms, 0.1, question=question)
    assert got is not None and got.text == "10家"
    national = pick("numeric", _scored(sent), terms, 0.1, question="国家级星火县要争创几家?")
    assert national is not None and national.text == "1家"
    # a 分别 list pairs its levels with its figures in order
    listed = _sentence("国家级、省级星火孵化器分别达到5家、20家。")
    asked = "国家级星火孵化器有多少家?"
    got = pick("numeric", _scored(listed), question_terms(asked, [], {}), 0.1, question=asked)
    assert got is not None and got.text.endswith("5家")


def test_a_period_word_is_scope_not_evidence() -> None:
    # 上半年 says when, as a year does: a sentence saying 上半年 is no nearer the asked thing
    question = "青山市2031年上半年全市松果授权量是多少件?"
    assert "上半" not in head_phrase(question, whole=True)
    terms = question_terms(question, ["青山市"], {})
    assert terms.coverage("上半年登记星火成果242件") == 0
    assert terms.coverage("上半年松果授权量120件") > 0.5


def test_a_change_keeps_its_verb() -> None:
    # 「10%以上」 alone would read as a level; the plan says it is a growth on last year
    sent = _sentence("企业吸纳技术合同成交额较上年增长10%以上,区域创新能力保持全国第一方阵。")
    question = "安徽省技术合同成交额增长目标是多少?"
    terms = question_terms(question, ["安徽省", "安徽"], {})
    got = pick("numeric", _scored(sent), terms, 0.1, question=question)
    assert got is not None and got.text == "较上年增长10%以上"
    assert sent.text[got.span[0] - sent.start : got.span[1] - sent.start] == got.text
    # asked for the amount itself, the growth rate is another measure: no answer, and why
    level = "安徽省技术合同成交额目标是多少?"
    misses = Misses()
    assert pick("numeric", _scored(sent), terms, 0.1, question=level, misses=misses) is None
    assert misses.measure is not None and misses.measure[2] == "growth"


def test_a_unit_ending_the_asked_thing_is_the_figures_unit() -> None:
    """「接待松果游客总人次是多少」 asks a figure in 人次 (a unit of rag.lang.measures.UNITS right
    before the question word), so 「增长8%」 does not answer it; one character is no unit there
    (率, 量 end nouns)."""
    assert unit_hint("青山市2031年接待松果游客总人次是多少?") == ("人次",)
    assert unit_hint("青山市星火港集装箱吞吐量标准箱达到多少?") == ("标准箱",)
    assert unit_hint("青山市2031年松果增长率是多少?") != ("率",)


def test_the_counter_written_with_the_asking_word_outranks_other_words() -> None:
    """「200亿元星火专项资金支持了多少个项目」 asks a count: the money the question names before
    does not make it ask for 元; 「募集多少资金」 does."""
    assert "个" in unit_hint("200亿元星火专项资金一共支持了多少个松果项目?")
    assert unit_hint("星火专项资金支持松果项目多少?") == ("元",)
    assert unit_hint("星火基金全年打算募集多少资金?") == ("元",)
    # 个 before 百分点 or 亿 is no counter of things
    assert "百分点" in unit_hint("星火投入强度提高多少个百分点?")
    assert "个" not in unit_hint("星火资金规模多少个亿?")


def test_a_stretch_target_joined_to_the_figure_is_part_of_the_answer() -> None:
    """「增长15%以上、力争达到20%」 is one target: the answer keeps its stretch figure; a figure
    of another unit after 力争 is another thing."""
    question = "星火产业投资增长目标是多少?"
    terms = question_terms(question, [], {})
    sent = _sentence("星火产业投资增长15%以上、力争达到20%，松果产量增长8%。")
    got = pick("numeric", _scored(sent), terms, 0.1, question=question)
    assert got is not None and got.text == "增长15%以上、力争达到20%"
    other = _sentence("星火产业投资增长15%以上，力争新增企业20家。")
    got = pick("numeric", _scored(other), terms, 0.1, question=question)
    assert got is not None and got.text == "增长15%以上"


def test_a_clause_without_a_subject_after_a_comma_keeps_the_one_before() -> None:
    """「松果产量达到56.9万吨，比上年增长7.7%」: the growth is the 松果产量's (a Chinese topic runs
    on over the comma), so it answers 「松果产量增长了多少」 before a five-year average that
    names the thing next to its figure in a less probable sentence; a semicolon ends it."""
    text = "松果产量达到56.9万吨，比上年增长7.7%；新增企业500家，增长10%。"
    owned = {text[f.start : f.end]: left for f, left, _right in owned_words(text)}
    assert "松果产量" in owned["7.7%"] and "松果产量" not in owned["500家"]
    assert "新增企业" in owned["10%"]
    # a clause that names a thing of its own, even one jieba tags as verbs (预算收入), is its own
    text = "松果产量增长5%左右，一般公共星火预算收入增长3%左右。"
    owned = {text[f.start : f.end]: left for f, left, _right in owned_words(text)}
    assert "松果产量" not in owned["3%左右"]
    question = "2031年松果产量增长了多少?"
    terms = question_terms(question, [], {})
    year = _sentence("松果产量达到56.9万吨，比上年增长7.7%。")
    average = _sentence("五年来松果产量年均增长9.3%。")
    scored = _scored(year, average)
    scored = [
        dataclasses.replace(scored[0], probability=0.8),
        dataclasses.replace(scored[1], probability=0.4),
    ]
    got = pick("numeric", scored, terms, 0.1, question=question)
    assert got is not None and "7.7%" in got.text


def test_the_verb_after_respectively_is_each_items() -> None:
    """「松果、星火排放要分别减少3%左右和5%左右」: 5%左右 is 星火排放's 减少, so it answers
    「星火排放减少多少」 before the figure of another item right after its own 减少."""
    text = "光谷排放都要减少2%左右，松果、星火排放要分别减少3%左右和5%左右。"
    owned = {text[f.start : f.end]: left for f, left, _right in owned_words(text)}
    assert owned["5%左右"].startswith("星火") and owned["5%左右"].endswith("减少")
    question = "星火排放减少多少?"
    got = pick(
        "numeric",
        _scored(_sentence(text)),
        question_terms(question, [], {}),
        0.1,
        question=question,
    )
    assert got is not None and got.text == "5%左右"


def test_each_is_a_form_word_like_respectively() -> None:
    """「各自」 asks one figure per place as 分别 does: it is no evidence a sentence must hold."""
    plain = question_terms("青山市和碧水市分别新增多少星火企业?", [], {})
    each = question_terms("青山市和碧水市各自新增多少星火企业?", [], {})
    assert plain.variants == each.variants


def test_what_a_target_is_set_for_is_the_thing_measured() -> None:
    """「报告给星火调查失业率定的控制目标是多少」 measures 星火调查失业率 (so its neighbour, the
    登记 rate, is caught), not 「报告给…定控制」."""
    asked = "2031年报告给星火调查失业率定的控制目标是多少?"
    assert head_phrase(asked, whole=True).startswith("星火调查失业率")
    assert head_phrase("星火给松果定的涨幅控制目标是多少?") == "松果涨幅"
    # 「给当年定的」 sets nothing for a thing: the phrase stays as it was
    assert head_phrase("2031年报告给当年定的星火减贫目标是多少?") != ""


def test_a_rise_in_price_is_a_growth() -> None:
    """「居民松果价格涨幅控制在3.5%左右」: 涨 is a rise, so the % is a growth, not a share."""
    from rag.lang.measures import GROWTH, figure_measure

    assert figure_measure("居民松果价格涨幅控制在", "3.5%左右") == GROWTH
    assert figure_measure("星火指数上升到", "3.5%") != GROWTH  # a level reached


def test_a_measure_of_the_region_is_written_with_the_plans_own_scope_word() -> None:
    """「地区松果产值」 asked, 「全省松果产值」 written: a plan names its own region 全省 (全市,
    全区), so the sentence covers the question as a rewrite does (0.85 of the asker's own
    wording), not as one missing a word of four (0.75)."""
    terms = question_terms("青山2031年地区松果产值增长了多少?", ["青山"], {})
    written = terms.coverage("全省松果产值增长2.7%")
    assert 0.8 < written < terms.coverage("地区松果产值增长2.7%")
    assert written > terms.coverage("全省星火产值增长2.7%")


def test_a_question_asking_twice_names_its_thing_either_way() -> None:
    """「…定的脱困目标是多少，星火人口要减少多少」: the figure of the second ask answers, though
    its sentence never says 脱困."""
    question = "2031年报告给当年定的脱困目标是多少，星火人口要减少多少?"
    sent = _sentence("星火人口减少1000万以上，居民收入增长与经济增长基本同步。")
    got = pick("numeric", _scored(sent), question_terms(question, [], {}), 0.1, question=question)
    assert got is not None and got.text == "减少1000万以上"


def test_a_rise_before_a_figure_is_a_growth_whatever_it_raises() -> None:
    """「贡献率上升3个百分点」 is the change of a rate (上升 is a rise, as 提高 is)."""
    from rag.lang.measures import GROWTH, figure_measure

    assert figure_measure("星火对松果增长的贡献率上升", "3个百分点") == GROWTH


def test_a_change_asked_to_a_level_is_the_figure_it_reaches() -> None:
    """「税率要降到多少」 asks the figure after 降至 (到 and 至 end the same verb, 要 is no part
    of it), not the rate it falls from; 达到 changes nothing, so it picks no figure by its verb."""
    question = "星火行业的税率要降到多少?"
    sent = _sentence("将星火行业现行16%的税率降至13%，将松果行业现行10%的税率降至9%。")
    got = pick("numeric", _scored(sent), question_terms(question, [], {}), 0.1, question=question)
    assert got is not None and got.text == "13%"
    question = "星火企业建有机构的比例要达到多少?"
    sent = _sentence("全省松果强度达到2.0%，力争星火企业建有机构比例达40%以上。")
    got = pick("numeric", _scored(sent), question_terms(question, [], {}), 0.1, question=question)
    assert got is not None and got.text == "40%以上"


def test_the_verb_setting_a_figure_is_no_part_of_the_thing() -> None:
    """「星火调查失业率目标定的多少」 measures 星火调查失业率, so its neighbour is caught."""
    assert head_phrase("2031年报告里星火调查失业率目标定的多少?", whole=True).endswith(
        "星火调查失业率"
    )
