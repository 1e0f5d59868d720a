"""Places: the gazetteer's hierarchy and aliases, finding places in text, and scope by place."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from rag.lang.places import (
    NATIONAL,
    aliases,
    contains,
    find_places,
    named_in,
    place_of,
    places_in,
)
from rag.records import Document
from rag.retrieval.retrieve import Filters, Scope, region_aliases, resolve_scope


def _names(text: str) -> list[str]:
    return [p.name for p, _start, _end in find_places(text)]


# --- the gazetteer ---------------------------------------------------------------------------


def test_hierarchy() -> None:
    anhui, wuhu = place_of("安徽省"), place_of("芜湖市")
    shaanxi, xian, yanta = place_of("陕西"), place_of("西安市"), place_of("雁塔区")
    assert (anhui.level, wuhu.level, yanta.level) == ("省", "市", "区")
    assert wuhu.adcode == "340200000000" and wuhu.parents == (anhui,)
    assert yanta.parents == (shaanxi, xian)
    assert contains(anhui, wuhu) and contains(shaanxi, yanta) and contains(xian, yanta)
    assert contains(anhui, anhui)
    assert not contains(wuhu, anhui) and not contains(anhui, yanta)
    assert contains(NATIONAL, yanta) and not contains(yanta, NATIONAL)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("陕西省", ("陕西省", "陕西")),
        ("广西壮族自治区", ("广西壮族自治区", "广西")),
        ("新疆维吾尔自治区", ("新疆维吾尔自治区", "新疆")),
        ("内蒙古自治区", ("内蒙古自治区", "内蒙古")),
        ("香港特别行政区", ("香港特别行政区", "香港")),
        ("芜湖市", ("芜湖市", "芜湖")),
        ("恩施土家族苗族自治州", ("恩施土家族苗族自治州", "恩施州", "恩施")),
        # a district or county goes by its full name only: 和平, 城区 and 新区 are words
        ("雁塔区", ("雁塔区",)),
        # a prefecture whose stem is an everyday word keeps only its full name
        ("安康市", ("安康市",)),
        ("全国", ("全国", "我国", "国务院", "中国", "国家")),
    ],
)
def test_aliases(name: str, expected: tuple[str, ...]) -> None:
    place = place_of(name)
    assert aliases(place) == expected
    assert all(place_of(a) == place for a in expected)


def test_a_shared_short_form_is_the_higher_place() -> None:
    assert place_of("海南").name == "海南省"  # not 海南藏族自治州
    assert place_of("吉林").name == "吉林省" and place_of("吉林市").level == "市"


def test_region_aliases_leave_out_words_that_open_common_words() -> None:
    assert region_aliases("安徽省") == ("安徽省", "安徽")
    assert region_aliases("全国") == ("全国", "我国", "国务院")
    assert region_aliases("xx市") == ("xx市",)


def test_unknown_and_anonymised_places_match_only_themselves() -> None:
    xx = place_of("xx市")
    assert (xx.level, xx.known, aliases(xx)) == ("市", False, ("xx市",))
    assert place_of("xx市") == xx and xx != place_of("yy市")
    assert not contains(xx, place_of("芜湖市")) and not contains(place_of("安徽省"), xx)
    assert place_of("某新区", "县").level == "县"
    # a name two districts share cannot be placed: it stands for itself
    assert not place_of("朝阳区").known
    with pytest.raises(ValueError, match="must not be empty"):
        place_of(" ")


def test_the_table_is_read_without_importing_cpca() -> None:
    code = "import sys, rag.lang.places as p; p.place_of('安徽'); print('cpca' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- finding places in text -------------------------------------------------------------------

# phrases of plans and questions that name no place, though each holds a place name or a short
# form of one somewhere inside it
NO_PLACE = [
    "中国特色社会主义",
    "中国式现代化",
    "新增国家级高新技术企业",
    "国家重点实验室",
    "新区建设",
    "老城区改造",
    "中心城区和郊区",
    "城区",
    "长治久安",
    "吉林大学",
    "示范县建设",
    "沿海城市",
    "华东区域",
    "环泰山区域",
    "全国人大",
    "和平发展",
    "省、市和县三级联动",
    "提高县域经济",
    "幸福安康",
    "对接长三角一体化",
    "各位来宾",
    "朝阳产业",
    "阿里巴巴",
]


@pytest.mark.parametrize("text", NO_PLACE)
def test_no_spurious_places(text: str) -> None:
    assert _names(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("安徽和陕西分别新增多少", ["安徽省", "陕西省"]),
        # 江西 is not read across 浙江 and 西部
        ("浙江西部", ["浙江省"]),
        ("芜湖上半年", ["芜湖市"]),
        ("芜湖市委", ["芜湖市"]),
        ("安徽省委科技工委", ["安徽省"]),
        ("上海市政府", ["上海市"]),
        ("雁塔区2025年", ["雁塔区"]),
        ("恩施2024年", ["恩施土家族苗族自治州"]),
        ("来自台湾的科技特派员", ["台湾省"]),
        # a shared or generic name counts beside its city or province
        ("北京市朝阳区", ["北京市", "朝阳区"]),
        ("马鞍山市和县", ["马鞍山市", "和县"]),
        ("我国2025年", ["全国"]),
        ("中国的经济", ["全国"]),
        ("国务院2025年政府工作报告", ["全国"]),
    ],
)
def test_find_places(text: str, expected: list[str]) -> None:
    assert _names(text) == expected


def test_find_places_gives_offsets_and_extra_names() -> None:
    xx = place_of("xx市")
    found = find_places("请问xx市和芜湖的计划", [xx])
    assert [(p.name, s, e) for p, s, e in found] == [("xx市", 2, 5), ("芜湖市", 6, 8)]


def test_places_in_by_level() -> None:
    text = "晋江市、泉州市和北京市中哪个市,以及雁塔区"
    assert [p.name for p in places_in(text, "市")] == ["晋江市", "泉州市", "北京市"]
    assert [p.name for p in places_in(text, "区")] == ["雁塔区"]
    assert [p.name for p in places_in(text, "省")] == ["北京市"]
    with pytest.raises(ValueError, match="level must be one of"):
        places_in(text, "镇")


# --- scope by place, on a fictional corpus ----------------------------------------------------


def _doc(doc_id: str, region: str | None, level: str | None, year: int, text: str) -> Document:
    return Document(
        doc_id=doc_id,
        source=f"{doc_id}.txt",
        text=text,
        title=f"{region or '全市'}{year}年工作要点",
        sha256=doc_id,
        region=region,
        region_level=level,
        year=year,
    )


ANHUI = _doc(
    "anhui", "安徽省", "省", 2021, "推进合肥综合性国家科学中心建设,对接长三角,支持芜湖市创新。"
)
QINGCHUAN = _doc("qingchuan", "xx市", "市", 2021, "全市新增高新技术企业50家,引进台湾人才。")
SHAANXI = _doc("shaanxi", "陕西省", "省", 2022, "技术合同成交额达到2500亿元。")
NATION = _doc("nation", "全国", "国家", 2025, "国内生产总值增长5%左右。")
WUHU = _doc("wuhu", "芜湖市", "市", 2021, "芜湖市新增高新技术企业100家。")


def _scope(question: str, *docs: Document) -> Scope:
    corpus = docs or (ANHUI, QINGCHUAN, SHAANXI, NATION)
    return resolve_scope(question, {d.doc_id: d for d in corpus}, Filters())


@pytest.mark.parametrize(
    ("question", "place"),
    [
        ("惠州市2021年新增多少家高新技术企业?", "惠州市"),
        ("十堰2021年科技工作有哪些安排?", "十堰市"),
        ("绵阳的科技工作要点有哪些?", "绵阳市"),
        ("请问惠州市有哪些科技项目?", "惠州市"),
        ("广东省惠州市2021年的目标是多少?", "广东省、惠州市"),
    ],
)
def test_a_place_no_document_covers_is_refused_by_name(question: str, place: str) -> None:
    scope = _scope(question)
    assert scope.empty and scope.reason == f"文档不涉及{place}"


@pytest.mark.parametrize(
    ("question", "doc_id", "named"),
    [
        ("芜湖市2021年新增多少家高新技术企业?", "anhui", "芜湖市"),
        ("合肥2021年有什么安排?", "anhui", "合肥"),
        ("雁塔区2022年技术合同成交额目标是多少?", "shaanxi", "雁塔区"),
    ],
)
def test_a_sub_place_goes_to_its_region(question: str, doc_id: str, named: str) -> None:
    scope = _scope(question)
    assert scope.doc_ids == frozenset({doc_id}) and scope.enclosed == (named,)


def test_a_sub_place_with_its_own_plan_goes_to_that_plan() -> None:
    scope = _scope("芜湖市2021年新增多少家高新技术企业?", ANHUI, WUHU)
    assert scope.doc_ids == frozenset({"wuhu"}) and scope.enclosed == ()


@pytest.mark.parametrize(
    "question",
    [
        "安徽省2021年对接长三角、引进惠州团队有什么安排?",
        "安徽省2021年和惠州市合作的项目有哪些?",
        "安徽省2021年新增多少家国家级高新技术企业?",
        "安徽省2021年哪些指标全国领先?",
    ],
)
def test_a_covered_place_with_content_places_is_not_refused(question: str) -> None:
    scope = _scope(question)
    assert scope.doc_ids == frozenset({"anhui"})


@pytest.mark.parametrize(
    "question",
    [
        "我国2025年经济增长目标是多少?",
        "国务院2025年政府工作报告提出的增长目标是多少?",
        "全国2025年国内生产总值增长目标?",
        "2025年全国国内生产总值增长目标?",
        "中国2025年的增长目标?",
    ],
)
def test_national_aliases_steer_to_national_documents(question: str) -> None:
    assert _scope(question).doc_ids == frozenset({"nation"})


def test_a_national_question_without_national_documents_is_refused() -> None:
    scope = _scope("我国2025年经济增长目标是多少?", ANHUI, SHAANXI)
    assert scope.empty and scope.reason == "文档不涉及全国"


@pytest.mark.parametrize(
    ("question", "ids"),
    [
        ("某市2021年新增多少家高新技术企业?", {"qingchuan"}),
        ("xx市2021年新增多少家高新技术企业?", {"qingchuan"}),
        # a place the plans themselves mention, not marked as the subject, is content
        ("引进台湾人才有什么安排?", None),
        ("台湾人才引进有什么安排?", None),
    ],
)
def test_level_and_anonymised_regions(question: str, ids: set[str] | None) -> None:
    assert _scope(question).doc_ids == ids


def test_years_come_from_the_hook() -> None:
    question = "陕西省2021年技术合同成交额是多少?"
    docs = {SHAANXI.doc_id: SHAANXI}
    assert resolve_scope(question, docs, Filters()).empty
    # a plan reports on the year before its own
    scope = resolve_scope(question, docs, Filters(), years_of=lambda d: {d.year or 0, 2021})
    assert scope.doc_ids == frozenset({"shaanxi"})


@pytest.mark.parametrize(("region", "ids"), [("安徽", {"anhui"}), ("中国", {"nation"})])
def test_the_region_filter_takes_any_alias(region: str, ids: set[str]) -> None:
    corpus = {d.doc_id: d for d in (ANHUI, QINGCHUAN, NATION)}
    scope = resolve_scope("增长目标", corpus, Filters(region=region))
    assert scope.doc_ids == frozenset(ids)


def test_an_autonomous_county_goes_by_its_stem_and_level_in_running_text() -> None:
    # 孟连傣族拉祜族佤族自治县 is written 孟连县; 恩施土家族苗族自治州 恩施州
    # (from the gazetteer's data, no list)
    county = place_of("孟连傣族拉祜族佤族自治县")
    assert "孟连县" in aliases(county)
    assert [p for p, _, _ in find_places("孟连县在发展牛油果产业中探索")] == [county]
    assert "恩施州" in aliases(place_of("恩施土家族苗族自治州"))


def test_a_year_naming_a_document_is_that_years_document_not_the_next_years_review() -> None:
    older = _doc("qs2031", "青山市", "市", 2031, "青山市2031年政府工作报告")
    newer = _doc("qs2032", "青山市", "市", 2032, "青山市2032年政府工作报告")
    docs = {d.doc_id: d for d in (older, newer)}

    def reviews(d: Document) -> set[int]:
        return {d.year or 0, (d.year or 0) - 1}  # each report also reviews the year before

    named = resolve_scope("青山市2031年政府工作报告提出松果产量多少?", docs, Filters(), reviews)
    assert named.doc_ids == frozenset({"qs2031"})
    # a year asked, not a document named: the next year's review answers it too
    asked = resolve_scope("青山市2031年松果产量是多少?", docs, Filters(), reviews)
    assert asked.doc_ids == frozenset({"qs2031", "qs2032"})
    # two documents named by their years: each keeps its own
    both = resolve_scope(
        "青山市2031年和2032年政府工作报告的松果产量分别是多少?", docs, Filters(), reviews
    )
    assert both.doc_ids == frozenset({"qs2031", "qs2032"})


def test_a_place_is_named_as_the_text_writes_it() -> None:
    text = "松果种植模式：孟连县在发展松果产业中探索形成，西安市雁塔区跟进。"
    assert list(named_in(text, "县").values()) == ["孟连县"]  # not 孟连傣族拉祜族佤族自治县
    assert list(named_in(text, "区").values()) == ["雁塔区"]


def test_a_place_word_of_the_dictionary_names_its_place() -> None:
    """A word jieba's dictionary tags as a place name (ns) and that starts with a short form
    is a place of it (青岛港 is in 青岛); an organisation (吉林大学, nt) or an idiom is not."""
    assert [p.name for p, _s, _e in find_places("青岛港松果吞吐量是多少?")] == ["青岛市"]
    assert [p.name for p, _s, _e in find_places("上海港和天津港松果吞吐量各是多少?")] == [
        "上海市",
        "天津市",
    ]
    assert find_places("吉林大学松果经费是多少?") == []
    assert find_places("长治久安的松果") == []


def test_provinces_named_by_one_character_open_a_question() -> None:
    from rag.lang.places import abbreviated_provinces, opening_place_word

    def names(text: str) -> list[str]:
        return [p.name for p, _s, _e in abbreviated_provinces(text)]

    assert names("沪2034年星火产值目标") == ["上海市"]
    assert names("皖科技厅2034年星火企业多少家?") == ["安徽省"]
    assert names("川渝滇三地2034年星火产值目标各是多少?") == ["四川省", "重庆市", "云南省"]
    # listed with 、 or 和, the run of names is followed by the year or the count of places
    assert names("川、鲁、豫三省星火产值目标分别是多少?") == ["四川省", "山东省", "河南省"]
    assert names("苏和闽去年各新增多少星火?") == ["江苏省", "福建省"]
    # a list of other words after one such character is no run of names
    assert names("新、老星火2034年") == []
    # the same characters inside words, or with no year or office after them, are not
    assert names("新能源星火产值2034年") == []
    assert names("云计算2034年") == []
    assert names("京津冀协同发展") == []
    # a place word of the dictionary the gazetteer lacks opens a question: a place of its own,
    # or the one province whose name holds it
    south = opening_place_word("苏南今年星火产值目标?")
    assert south is not None and south[0].name == "苏南" and not south[0].known
    mongol = opening_place_word("内蒙今年星火产值目标?")
    assert mongol is not None and mongol[0].name == "内蒙古自治区"
    dragon = opening_place_word("龙江今年星火产值目标?")
    assert dragon is not None and dragon[0].name == "黑龙江省"
    assert opening_place_word("星火今年产值目标?") is None


def test_a_place_name_whose_end_jieba_cut_into_the_next_word_is_a_place() -> None:
    # jieba cuts 「山东三省」 as 山|东三省: 山东 is still named, as 湖南 before it
    names = [p.name for p, _s, _e in find_places("四川、湖南、山东三省的松果里程各是多少?")]
    assert names == ["四川省", "湖南省", "山东省"]
    # …but not where the word it runs into is a place of its own (浙江|苏州 stay two places)
    assert [p.name for p, _s, _e in find_places("浙江苏州松果产量")] == ["浙江省", "苏州市"]


def test_the_country_opening_a_clause_is_a_place() -> None:
    """「按2025年报告，2024年全国松果产量…」: 全国 opens its clause, so it is the place asked
    (not the scale a province ranks itself on, 「居全国第一」)."""
    shaanxi = _doc("shaanxi25", "陕西省", "省", 2025, "松果产量达到200万吨，居全国第一。")
    scope = _scope("按2025年的报告，2025年全国松果产量是多少?", NATION, shaanxi)
    assert scope.doc_ids == {"nation"}
    ranked = _scope("陕西松果产量居全国第几?", NATION, shaanxi)
    assert ranked.doc_ids == {"shaanxi25"}


def test_a_place_followed_by_a_government_office_is_the_place_asked() -> None:
    """「浙江省科技厅2034年工作要点…」 asks about the place whose office writes the plan. A
    place the documents mention as content (「与浙江省合作」) is still the place asked when its
    office follows it; another province's plan sharing the rest of the title (科技厅…工作要点)
    does not answer it."""
    from rag.lang.places import names_an_office

    assert names_an_office("浙江省科技厅2034年", 3)
    assert names_an_office("浙江省发展改革委的星火计划", 3)  # 发展|改革|委
    assert names_an_office("浙江省人民政府", 3)
    assert not names_an_office("浙江省局面", 3)  # 局面 is a word of its own
    assert not names_an_office("浙江省的星火企业", 3)
    assert not names_an_office("浙江省布局了哪些星火产业", 3)  # 布局, 举办: no organs
    assert not names_an_office("浙江省举办了多少场星火活动", 3)
    anhui = dataclasses.replace(
        _doc("anhui34", "安徽省", "省", 2034, "与浙江省合作，新备案星火工作站50家。"),
        title="安徽省科技厅2034年工作要点",
    )
    scope = _scope("浙江省科技厅2034年工作要点计划新备案多少家星火工作站?", anhui, NATION)
    assert scope.empty and "浙江省" in scope.reason
    # the covered province's own office still names its plan
    own = _scope("安徽省科技厅2034年工作要点计划新备案多少家星火工作站?", anhui, NATION)
    assert own.doc_ids == {"anhui34"}


def test_a_group_of_provinces_asked_about_is_each_of_its_provinces() -> None:
    """「东北三省2034年…」, 「长三角各省市…」, 「西部地区哪些省份…」 ask about each province of the
    group (the National Bureau of Statistics' regions, the State Council's regional
    strategies); a group named as a topic (「推进长三角一体化」) is not asked."""
    from rag.lang.places import asked_groups

    def names(text: str) -> list[str]:
        return [p.name for p, _s, _e in asked_groups(text)]

    assert names("东北三省2034年星火产值目标分别是多少?") == ["辽宁省", "吉林省", "黑龙江省"]
    assert names("长三角各省市2034年星火产值目标") == ["上海市", "江苏省", "浙江省", "安徽省"]
    assert len(names("西部地区哪些省份2034年星火产值目标超过5%?")) == 12
    assert names("京津冀2034年的星火产值") == ["北京市", "天津市", "河北省"]
    # a strategy's name opening the question is as often its topic
    assert names("2034年京津冀协同发展有哪些星火任务?") == []
    # the six great regions of the statistical yearbooks
    assert names("西北五省区2034年星火产值增速分别是多少?") == [
        "陕西省",
        "甘肃省",
        "青海省",
        "宁夏回族自治区",
        "新疆维吾尔自治区",
    ]
    assert names("江苏如何推进长三角一体化?") == []
    liaoning = _doc("liaoning34", "辽宁省", "省", 2034, "星火产值增长6%。")
    jilin = _doc("jilin34", "吉林省", "省", 2034, "星火产值增长5%。")
    scope = _scope("东北三省2034年星火产值增长目标分别是多少?", liaoning, jilin, NATION)
    assert set(scope.per_region) == {"辽宁省", "吉林省"}
    # the province no document covers is named, not dropped
    assert scope.foreign_regions == ("黑龙江省",)


def test_this_year_and_last_are_the_years_of_the_plans_read() -> None:
    """「江苏今年…」 over a place's one plan of 2034 asks 2034 (its targets), 「去年」 2033 (its
    review); 「比去年」 is a change's base, and a scope of several years keeps the words."""
    from rag.retrieval.retrieve import dated

    jiangsu = _doc("jiangsu34", "江苏省", "省", 2034, "星火产值增长6%。")
    docs = {d.doc_id: d for d in (jiangsu, NATION)}
    scope = _scope("江苏今年星火产值目标是多少?", jiangsu, NATION)
    assert (
        dated("江苏今年星火产值目标是多少?", scope, docs) == "江苏今年星火产值目标是多少?（2034年）"
    )
    assert dated("江苏去年星火产值是多少?", scope, docs) == "江苏去年星火产值是多少?（2033年）"
    assert dated("江苏星火产值比去年增长多少?", scope, docs) == "江苏星火产值比去年增长多少?"
    compared = "江苏今年星火产值与去年相比增长多少?"
    assert dated(compared, scope, docs) == compared + "（2034年）"
    both = _scope("今年星火产值目标是多少?", jiangsu, NATION)  # 2034 and 2025
    assert dated("今年星火产值目标是多少?", both, docs) == "今年星火产值目标是多少?"


def test_the_country_set_against_a_province_is_compared() -> None:
    """「…跟全国比」, 「比全国高」 and a question of its own asking the same (「…全国去年呢?」) set
    the country against the province: both are read; 「在全国排第几」 is the scale a province
    ranks on."""
    shaanxi = _doc("shaanxi25", "陕西省", "省", 2025, "松果产量达到200万吨，居全国第一。")
    for question in (
        "陕西今年松果产量目标跟全国比是高还是低?",
        "陕西今年松果产量目标比全国高多少?",
        "陕西去年松果产量是多少?全国去年呢?",
    ):
        scope = _scope(question, NATION, shaanxi)
        assert set(scope.per_region) == {"陕西省", "全国"}, question
    ranked = _scope("陕西松果产量在全国排第几?", NATION, shaanxi)
    assert ranked.doc_ids == {"shaanxi25"}
