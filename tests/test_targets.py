"""The targets table on made-up city reports that are in no corpus: extraction (value verbatim
in its quote, kind, year, qualifier, unit) and the four forms of question across places and
years, each with its citations; plus the API and the CLI over the fake embedder."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag.answer.extractive import number_violations
from rag.cli import main
from rag.config import Settings
from rag.records import Document
from rag.server.app import create_app
from rag.service import RagService
from rag.targets.extract import extract_document
from rag.targets.form import asked_indicator, question_form
from rag.targets.table import indicator_distance, select, table_of
from rag.targets.target import Target
from tests.conftest import made_up_rows, service_over

BISHUI_2034 = """2034年碧水市政府工作报告
——2034年1月20日在碧水市第八届人民代表大会第三次会议上
碧水市人民政府市长 李四
一、2033年工作回顾
过去一年，新增光谷企业280家。
二、2034年主要任务
今年发展主要预期目标是：地区生产总值增长5.5%左右，研发投入强度达到2.8%，新增光谷企业三百家。
"""

QINGSHAN_2032 = """2032年青山市政府工作报告
——2032年1月15日在青山市第九届人民代表大会第五次会议上
青山市人民政府市长 张三
一、2031年工作回顾
过去一年，全市经济平稳运行。
二、2032年主要任务
今年发展主要预期目标是：地区生产总值增长7%左右。
"""

QINGSHAN_2033 = """2033年青山市政府工作报告
——2033年1月16日在青山市第十届人民代表大会第一次会议上
青山市人民政府市长 张三
一、2032年工作回顾
过去一年，星火产业产值达到760亿元。
二、2033年主要任务
今年发展主要预期目标是：地区生产总值增长6.5%左右。力争星火产业产值达到800亿元。
"""

QINGSHAN_2034 = """2034年青山市政府工作报告
——2034年1月18日在青山市第十届人民代表大会第二次会议上
青山市人民政府市长 张三
各位代表：
一、2033年工作回顾
过去一年，全市经济平稳运行。星火产业产值达到820亿元，增长9.5%。新增光谷企业420家。全社会研发经费投入强度达到3.0%。
二、2034年主要任务
今年发展主要预期目标是：地区生产总值增长6%左右，全社会研发经费投入强度达到3.2%左右，新增光谷企业500家以上。
（一）壮大星火产业。力争星火产业产值突破900亿元。
（二）培育创新主体。培育30家拟上市科技企业，科技型中小企业评价入库不少于2000家。
"""

YUNLING_2034 = """2034年云岭市政府工作报告
——2034年1月22日在云岭市第七届人民代表大会第四次会议上
云岭市人民政府市长 王五
一、2033年工作回顾
过去一年，全市经济稳中有进。
二、2034年主要任务
今年发展主要预期目标是：地区生产总值增长5%以上。持续加大研发投入。新增光谷企业450家。
"""

PLANS = {
    "bishui-2034.txt": BISHUI_2034,
    "qingshan-2032.txt": QINGSHAN_2032,
    "qingshan-2033.txt": QINGSHAN_2033,
    "qingshan-2034.txt": QINGSHAN_2034,
    "yunling-2034.txt": YUNLING_2034,
}


@pytest.fixture
def service(settings: Settings, tmp_path: Path) -> RagService:
    return service_over(settings, tmp_path / "plans", PLANS)


def _rows(service: RagService, doc_id: str) -> list[Target]:
    return [r for r in table_of(service.loaded) if r.doc_id == doc_id]


def _row(rows: list[Target], value: str) -> Target:
    found = [r for r in rows if r.value == value]
    assert len(found) == 1, (value, [r.value for r in rows])
    return found[0]


def test_every_value_is_verbatim_in_its_quote_at_its_offsets(service: RagService) -> None:
    rows = table_of(service.loaded)
    assert len(rows) >= 20
    docs = service.loaded.index.documents
    for row in rows:
        text = docs[row.doc_id].text
        assert row.quote == text[row.start : row.end]
        assert text[row.value_start : row.value_start + len(row.value)] == row.value
        assert row.value in row.quote
        assert text[row.indicator_start : row.indicator_start + len(row.indicator)] == row.indicator


def test_extraction_reads_year_stance_kind_unit_and_qualifier(service: RagService) -> None:
    rows = _rows(service, "qingshan-2034")
    # the review of 2033 states results; this year's part states targets
    done = _row(rows, "820亿元")
    assert (done.year, done.stance, done.kind) == (2033, "result", "money")
    assert (done.indicator_norm, done.unit, done.base_unit) == ("星火产业产值", "亿元", "元")
    assert done.base_amount == 820e8
    growth = _row(rows, "9.5%")
    assert (growth.year, growth.kind, growth.indicator_norm) == (2033, "growth", "星火产业产值")
    share = _row(rows, "3.2%")
    assert (share.year, share.stance, share.kind, share.qualifier) == (
        2034,
        "target",
        "share",
        "左右",
    )
    assert share.indicator == "研发经费投入强度"  # 全社会 is the scope, not the indicator
    count = _row(rows, "500家")
    assert (count.kind, count.qualifier, count.unit, count.indicator_norm) == (
        "count",
        "以上",
        "家",
        "新增光谷企业",
    )
    assert _row(rows, "900亿元").qualifier == "突破"
    assert _row(rows, "2000家").qualifier == "不少于"
    # a numeral-classifier phrase names the noun after it
    assert _row(rows, "30家").indicator == "拟上市科技企业"
    assert {r.level for r in rows} == {"city"} and {r.place for r in rows} == {"青山市"}


def test_a_chinese_numeral_is_a_figure_read_with_cn2an(service: RagService) -> None:
    row = _row(_rows(service, "bishui-2034"), "三百家")
    assert (row.amount, row.unit, row.kind, row.year) == (300.0, "家", "count", 2034)


def test_extraction_needs_no_index(service: RagService) -> None:
    doc = service.loaded.index.documents["qingshan-2033"]
    values = [r.value for r in extract_document(doc)]
    assert values == ["760亿元", "6.5%", "800亿元"]


def test_filters_select_by_indicator_place_year_and_kind(service: RagService) -> None:
    rows = table_of(service.loaded)
    picked = select(rows, indicator="研发投入强度", year=2034, kind="target")
    assert sorted((r.place, r.value) for r in picked) == [("碧水市", "2.8%"), ("青山市", "3.2%")]
    assert {r.place for r in select(rows, place="青山市")} == {"青山市"}
    assert all(r.kind == "growth" for r in select(rows, kind="growth"))
    assert table_of(service.loaded) is rows  # computed once per loaded generation


def _checked(service: RagService, question: str) -> tuple[str, list[str]]:
    answer = service.ask(question)
    assert not answer.refused, answer.answer
    assert answer.qtype == "table"
    assert number_violations(answer) == []
    docs = service.loaded.index.documents
    for c in answer.citations:
        assert docs[c.doc_id].text[c.start : c.end] == c.quote
    return answer.answer, [c.quote for c in answer.citations]


def test_each_place_gets_its_cited_figure_or_not_stated(service: RagService) -> None:
    text, quotes = _checked(service, "各市2034年研发投入强度目标分别是多少?")
    lines = text.splitlines()
    assert any(line.startswith("青山市：") and "3.2%左右" in line for line in lines)
    assert any(line.startswith("碧水市：") and "2.8%" in line for line in lines)
    assert "未提及：云岭市" in lines  # no figure there: listed, not dropped
    assert "3.0%" not in text  # 2033's result is not the 2034 target
    assert len(quotes) == 2


def test_which_places_pass_a_threshold(service: RagService) -> None:
    text, _quotes = _checked(service, "哪些城市2034年新增光谷企业超过400家?")
    passing, failing = text.split("不符合的：")
    assert "青山市" in passing and "云岭市" in passing and "碧水市" not in passing
    assert "碧水市" in failing and "三百家" in failing


def test_places_are_ranked_by_their_figure(service: RagService) -> None:
    text, _quotes = _checked(service, "各市2034年地区生产总值增长目标排名")
    lines = text.splitlines()
    assert lines[0] == "从高到低："
    assert [line.split("：")[0] for line in lines[1:4]] == ["青山市", "碧水市", "云岭市"]
    text, _quotes = _checked(service, "哪个城市2034年地区生产总值增长目标最低?")
    assert text.splitlines()[1].startswith("云岭市：")


def test_a_comparison_or_the_places_before_the_question_word_keep_the_form(
    service: RagService,
) -> None:
    """「比400家更多」, 「400家或更多」 bound as 超过 and 以上 do; 「这些城市里，哪些…」 and
    「这些城市中谁…最低」 name the places asked over before the question word."""
    assert question_form("哪些城市2034年新增光谷企业比400家更多?") == question_form(
        "哪些城市2034年新增光谷企业超过400家?"
    )
    more = question_form("哪些城市2034年新增光谷企业在420家或更多?")
    assert more is not None and more.threshold == (420.0, "家", "above_or_equal")
    fewer = question_form("哪些城市2034年新增光谷企业比450家还少?")
    assert fewer is not None and fewer.threshold == (450.0, "家", "below")
    text, _quotes = _checked(service, "在这些城市里，哪些2034年新增光谷企业比400家更多?")
    passing, failing = text.split("不符合的：")
    assert "青山市" in passing and "云岭市" in passing and "碧水市" in failing
    text, _quotes = _checked(service, "这些城市里谁的2034年地区生产总值增长目标最低?")
    assert text.splitlines()[1].startswith("云岭市：")


def test_a_name_that_ends_as_the_asked_one_answers_before_one_that_holds_it() -> None:
    """A Chinese name ends in its head: GDP inside 单位GDP能耗 modifies 能耗, so the row named
    地区生产总值 (GDP's rewrite, config/synonyms.txt) is the closer one."""
    assert indicator_distance("GDP", "地区生产总值") < indicator_distance("GDP", "单位GDP能耗")
    assert indicator_distance("光谷企业", "新增光谷企业") < indicator_distance(
        "光谷企业", "光谷企业营收"
    )


def test_a_change_over_the_years_has_a_row_per_year(service: RagService) -> None:
    text, quotes = _checked(service, "青山市星火产业产值目标这几年怎么变的?")
    lines = text.splitlines()
    assert lines[0].startswith("2032年：未提及")  # the 2032 report gives no such figure
    assert lines[1].startswith("2033年目标：") and "800亿元" in lines[1]
    assert lines[2].startswith("2034年目标：") and "900亿元" in lines[2]
    assert "2032年" in quotes[0]  # the line that dates the report is cited
    # a span of years asked keeps the lines to its years
    text, _quotes = _checked(service, "青山市2033年到2034年星火产业产值目标是怎么变的?")
    assert [line.split("：")[0] for line in text.splitlines()] == ["2033年目标", "2034年目标"]


def test_other_questions_go_to_the_sentence_answerer(service: RagService) -> None:
    assert question_form("青山市2034年新增光谷企业目标是多少家?") is None
    answer = service.ask("青山市2034年新增光谷企业目标是多少家?")
    assert answer.qtype != "table"
    assert question_form("碧水市和青山市分别提出新增多少家光谷企业?") is None
    # a level word before 级 is a grade, not the places asked over
    assert question_form("哪一年的报告提出在所有地级以上城市开展星火监测?") is None
    assert question_form("各省级部门的星火产业产值目标分别是多少?") is None
    assert question_form("所有地区的星火产业产值目标分别是多少?") is not None


@pytest.mark.parametrize(
    ("question", "indicator"),
    [
        ("各省2025年研发投入强度目标分别是多少?", "研发投入强度"),
        ("哪些省份2025年计划新增高新技术企业超过3000家?", "新增高新技术企业"),
        ("陕西技术合同成交额目标这几年怎么变的?", "技术合同成交额"),
        ("各市2034年地区生产总值增长目标排名", "地区生产总值"),
    ],
)
def test_the_asked_indicator_is_what_is_left_of_the_question(question: str, indicator: str) -> None:
    assert asked_indicator(question) == indicator


@pytest.fixture
def client(settings: Settings, service: RagService) -> Iterator[TestClient]:
    with TestClient(create_app(settings, service)) as c:
        yield c


def test_api_gives_json_csv_and_xlsx(client: TestClient) -> None:
    response = client.get("/api/targets", params={"indicator": "光谷企业", "year": 2034})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(body["rows"]) == 3
    assert {r["value"] for r in body["rows"]} == {"500家", "三百家", "450家"}
    assert all(r["value"] in r["quote"] for r in body["rows"])
    response = client.get("/api/targets", params={"place": "碧水市", "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["place"] for r in table} == {"碧水市"} and "quote" in table[0]
    response = client.get("/api/targets", params={"kind": "share", "format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    values = {row[header.index("value")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values == {"3.0%", "3.2%", "2.8%"}


def test_api_rejects_an_unknown_kind_with_a_readable_4xx(client: TestClient) -> None:
    response = client.get("/api/targets", params={"kind": "everything"})
    assert response.status_code == 400
    assert "kind must be one of" in response.text
    assert client.get("/api/targets", params={"year": "soon"}).status_code == 422
    assert client.get("/api/targets", params={"kb": "nope"}).status_code == 404


def test_cli_prints_rows_and_csv(
    service: RagService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("rag.cli.common.open_service", lambda settings, need_index=True: service)
    assert main(["targets", "--place", "青山市", "--year", "2034", "--kind", "money"]) == 0
    out = capsys.readouterr().out
    assert "星火产业产值" in out and "突破900亿元" in out and "qingshan-2034" in out
    assert main(["targets", "--indicator", "研发投入强度", "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted(r["value"] for r in table) == ["2.8%", "3.0%", "3.2%"]
    assert main(["targets", "--kind", "everything"]) == 2


def test_only_questions_across_documents_take_the_table_path() -> None:
    """A question of one figure (numeric, entity) never reaches the table, in any set; the
    questions that do are across places or years (compare, list, which-document) or
    unanswerable ones of that form. The sets up to Q reach it with none at all."""
    from rag.config import ROOT
    from rag.evaluation.question_sets import load_questions
    from rag.lang.normalize import normalise_question

    across = ("compare", "list", "which_doc", "unanswerable")
    # the sets after Q (R on) were written after the table could answer across documents
    later = re.compile(r"corpus_blind_(?:[r-z]|a[a-z])\.jsonl")
    for path in sorted((ROOT / "tests" / "data").glob("*.jsonl")):
        questions, _problems = load_questions(path)
        for q in questions:
            form = question_form(normalise_question(q.question))
            if later.fullmatch(path.name):
                assert form is None or q.type in across, q.question
            else:
                assert form is None, (path.name, q.question)


def test_api_ask_answers_a_table_question_with_rows_and_citations(client: TestClient) -> None:
    body = client.post(
        "/api/ask", json={"question": "各市2034年研发投入强度目标分别是多少?"}
    ).json()
    assert body["type"] == "table" and not body["refused"]
    rows = {r["label"]: r for r in body["rows"]}
    assert rows["云岭市"]["value"] == "未提及" and rows["云岭市"]["citation"] == 0
    cite = body["citations"][rows["青山市"]["citation"] - 1]
    assert "3.2%" in cite["quote"] and cite["doc_id"] == "qingshan-2034"


def test_names_ordinals_and_classes_are_not_figures() -> None:
    from rag.records import Document

    text = (
        "推动第4批30项通办事项落地。建设2座百万千瓦级电站、1个500亿级产业园。"
        "惠及近千万家庭。研发投入强度居全省第2位。新增光谷企业三百家。"
    )
    doc = Document("made-up", "made-up.txt", text, "2034年青山市政府工作报告", "0", year=2034)
    rows = extract_document(doc)
    assert [r.value for r in rows] == ["30项", "2座", "1个", "第2位", "三百家"]
    rank = _row(rows, "第2位")
    assert rank.kind == "rank" and rank.indicator_norm == "研发投入强度居全省"


def test_a_year_written_before_a_figure_dates_it() -> None:
    from rag.records import Document

    text = "全市技术合同成交额从2029年的120亿元上升到2032年的260亿元。"
    doc = Document("made-up", "made-up.txt", text, "2033年青山市政府工作报告", "0", year=2033)
    rows = extract_document(doc)
    assert [(r.value, r.year, r.stance) for r in rows] == [
        ("120亿元", 2029, "result"),
        ("260亿元", 2032, "result"),
    ]
    assert {r.indicator_norm for r in rows} == {"技术合同成交额"}


def test_lists_marks_and_bare_magnitudes() -> None:
    from rag.records import Document

    text = (
        "星火产业、光谷产业增加值分别增长12%、9%。③培训乡村医生500名。又解决36万农村人口饮水问题。"
    )
    doc = Document("made-up", "made-up.txt", text, "2034年青山市政府工作报告", "0", year=2034)
    rows = {r.value: r for r in extract_document(doc)}
    # the items of a list share the head noun the last one ends with
    assert (rows["12%"].indicator_norm, rows["12%"].kind) == ("星火产业增加值", "growth")
    assert (rows["9%"].indicator_norm, rows["9%"].kind) == ("光谷产业增加值", "growth")
    assert rows["500名"].indicator == "培训乡村医生"
    assert (rows["36万"].kind, rows["36万"].indicator_norm) == ("count", "农村人口饮水问题")


_made_up = made_up_rows


def test_a_count_quantifies_the_noun_phrase_after_it_not_the_later_figures_subject() -> None:
    rows = _made_up(
        "12个星火产业园新入驻企业154家。86个光谷项目已开工74个。"
        "31个县区本级会议经费减少26%。培育30家拟上市星火企业。"
    )
    assert rows["12个"].indicator_norm == "星火产业园"
    assert rows["154家"].indicator_norm.endswith("新入驻企业")
    assert rows["86个"].indicator_norm == "光谷项目"
    assert rows["31个"].indicator_norm == "县区"
    assert rows["30家"].indicator_norm == "拟上市星火企业"


def test_a_noun_written_before_the_next_figure_belongs_to_it() -> None:
    rows = _made_up("累计创建星火产业园15个光谷产业集群9个。")
    assert rows["15个"].indicator_norm.endswith("星火产业园")
    assert rows["9个"].indicator_norm == "光谷产业集群"


def test_list_items_share_a_head_and_split_only_at_conjunction_words() -> None:
    rows = _made_up(
        "星火矿石、光谷晶体产量分别增长4%、7%。"
        "星火镇自来水普及率、光谷镇供水工程覆盖率分别达98%和92%。"
        "星火、光谷两镇人口分别增长1%和2%。"
    )
    assert rows["4%"].indicator_norm == "星火矿石产量"
    assert rows["7%"].indicator_norm == "光谷晶体产量"
    assert rows["98%"].indicator_norm == "星火镇自来水普及率"
    assert rows["92%"].indicator_norm == "光谷镇供水工程覆盖率"


def test_respectively_without_items_takes_the_subjects_of_the_clauses_before() -> None:
    rows = _made_up("生产星火矿石749万吨、光谷晶体13.5万吨，分别增长4.8%、22.3%。")
    assert (rows["4.8%"].indicator_norm, rows["4.8%"].kind) == ("生产星火矿石", "growth")
    assert (rows["22.3%"].indicator_norm, rows["22.3%"].kind) == ("光谷晶体", "growth")


def test_a_part_a_lead_and_a_starting_level_say_what_they_are() -> None:
    rows = _made_up(
        "新增星火公路60.9万公里，其中光谷公路4.2万公里。"
        "星火产业增加值增长8.3%，高于全国2.5个百分点。"
        "将光谷补贴比例从75%提高到100%。"
    )
    assert rows["4.2万公里"].indicator_norm == "新增星火公路其中光谷公路"
    assert rows["2.5个百分点"].indicator_norm == "星火产业增加值高于全国"
    # the level a change starts from is of no year the text gives, and not a plan
    assert (rows["75%"].year, rows["75%"].stance) == (None, "result")
    assert (rows["100%"].year, rows["100%"].stance) == (2034, "target")


def test_indicator_names_match_by_containment_and_abbreviation() -> None:
    from rag.targets.table import indicator_matches

    # the asked characters in order in the row's name
    assert indicator_matches("光谷投入强度", "全社会光谷经费投入强度")
    # the row's name abbreviates the asked one (characters kept in order), and the reverse
    assert indicator_matches("星火规模以上企业增加值", "星火规上企业增加值")
    assert indicator_matches("星火高新技术企业", "新增星火高企")
    # a shorter name that is only a piece of the asked one is not an abbreviation of it
    assert not indicator_matches("星火规模以上企业增加值", "增加值")
    assert not indicator_matches("光谷固定资产投资", "光谷投资")


def test_a_ratio_is_one_name_however_it_is_written() -> None:
    """「A相当于全市B的比例」, 「A占B的比例」 and 「A占地区B比重」 are one ratio: a plan writes
    its own scope word (全市, 全省) where a name says 地区."""
    from rag.targets.indicator import normalise_indicator
    from rag.targets.table import indicator_matches

    written = normalise_indicator("星火经费支出相当于全市生产总值的比例")
    assert written == normalise_indicator("星火经费支出占地区生产总值比重")
    assert written == normalise_indicator("星火经费支出占全省生产总值的比例")
    assert indicator_matches(normalise_indicator("星火经费支出占地区生产总值的比重"), written)
    # a ratio to another whole is another name
    assert not indicator_matches(normalise_indicator("星火经费支出占财政支出比重"), written)


def test_a_bare_verb_counts_what_the_figure_before_it_names() -> None:
    rows = _made_up("力争新开工星火装机1000万千瓦、新投产600万千瓦。出口增长5%。")
    assert rows["600万千瓦"].indicator_norm == "新投产装机"
    # a rate keeps its own verb as its name
    assert rows["5%"].indicator_norm == "出口"


def test_items_before_one_figure_share_it_and_dates_and_measures_stay_in_their_clause() -> None:
    rows = _made_up(
        "新建省级星火数字化车间、光谷智能化工厂100个。"
        "发展高效节水农业30万亩，力争到2037年将星火镇全部纳入。"
        "目前全市光谷企业已经超过2000家。"
        "星火产业营收2.76万亿元增长6.1%。"
    )
    assert rows["100个"].indicator_norm == "新建省级星火数字化车间、光谷智能化工厂"
    # 「到2037年」 is in a later clause: the figure is this year's
    assert (rows["30万亩"].year, rows["30万亩"].stance) == (2034, "target")
    # the present level, stated among the plans
    assert (rows["2000家"].year, rows["2000家"].stance) == (None, "result")
    # the change word after a figure opens the next figure's predicate
    assert (rows["2.76万亿元"].kind, rows["6.1%"].kind) == ("money", "growth")


def test_a_place_inside_a_name_is_kept() -> None:
    from rag.records import Document

    # a made-up report of a real province: its places are the gazetteer's
    text = "赣州市法规达到40部。赣州市星火企业达到300家。"
    doc = Document(
        "made-up",
        "made-up.txt",
        text,
        "2034年江西省政府工作报告",
        "0",
        year=2034,
        region="江西省",
        region_level="省",
    )
    rows = {r.value: r for r in extract_document(doc)}
    assert rows["40部"].indicator_norm == "赣州市法规"
    assert (rows["300家"].indicator_norm, rows["300家"].place) == ("星火企业", "赣州市")


def test_one_item_for_two_figures_and_relations_over_several() -> None:
    rows = _made_up(
        "城乡星火补贴标准分别提高5%和8%。"
        "“星火贷”“光谷贷”投放率分别达90%和80%。"
        "出让星火矿权182宗、成交价116.8亿元，均居全省第2位。"
        "星火热线受理诉求474万件、办结率99.2%。"
        "星火产业、光谷产业增加值分别增长12%、9%，占规模以上工业比重分别提高到21%、33%。"
    )
    assert rows["5%"].indicator_norm == "城乡星火补贴标准·城"
    assert rows["8%"].indicator_norm == "城乡星火补贴标准·乡"
    assert rows["80%"].indicator_norm.endswith("·光谷贷投放率")
    assert rows["第2位"].indicator_norm == "出让星火矿权、成交价均居全省"
    assert rows["99.2%"].indicator_norm == "星火热线受理诉求办结率"
    assert rows["33%"].indicator_norm == "光谷产业增加值占规模以上工业比重"


def test_figures_listed_after_as_many_items_are_theirs_in_order() -> None:
    rows = _made_up(
        "年底，星火镇和光谷镇人均住房面积32.9平方米、37.1平方米。原煤、原油、天然气产量达到66万吨、12万吨、9亿立方米。"
    )
    assert rows["32.9平方米"].indicator_norm == "星火镇人均住房面积"
    assert rows["37.1平方米"].indicator_norm == "光谷镇人均住房面积"
    assert rows["66万吨"].indicator_norm == "原煤产量"
    assert rows["9亿立方米"].indicator_norm == "天然气产量"


def test_a_five_year_span_and_a_present_fact_have_no_single_year() -> None:

    text = (
        "青山市政府工作报告\n一、过去五年工作回顾\n新增星火公路60万公里，星火产值年均增长9.3%。\n"
        "二、2034年主要任务\n我市有20个光谷口岸。全员劳动生产率从人均8.7万元提高到12万元。"
        "改造建设100个星火服务中心和300个光谷幸福院。\n"
    )
    rows = made_up_rows(text, outline=True)
    assert (rows["60万公里"].year, rows["60万公里"].stance) == (None, "result")
    assert rows["9.3%"].year is None
    assert (rows["20个"].year, rows["20个"].stance) == (None, "result")
    assert (rows["8.7万元"].year, rows["12万元"].year) == (None, 2034)
    assert rows["300个"].indicator_norm == "光谷幸福院"


def test_the_numerals_read_without_cn2an_read_as_cn2an_reads_them() -> None:
    from itertools import product

    from rag.lang.normalize import _number
    from rag.targets.figures import read_numeral

    digits = ["", *"一二三四五六七八九"]
    tens = [a + "十" + b for a in digits for b in digits]
    units = ["".join(u) for n in range(1, 5) for u in product("十百千万亿", repeat=n)]
    for numeral in [*tens, *units, "三百五十", "一万五千", "两千"]:
        assert read_numeral(numeral) == _number(numeral), numeral


def test_a_range_written_with_a_long_dash_has_the_unit_after_its_second_figure() -> None:
    doc = Document(
        "made-up",
        "made-up.txt",
        "争取获批1—2个星火产业园。实施2031—2033年青山三年行动。",
        "2030年青山市政府工作报告",
        "0",
        year=2030,
    )
    rows = {r.value: r for r in extract_document(doc)}
    assert (rows["1—2个"].unit, rows["1—2个"].kind) == ("个", "count")
    assert rows["1—2个"].indicator_norm.endswith("星火产业园")
    # a span of years is no quantity
    assert not any("2031" in v for v in rows)
    # the unit written after both figures is the range's unit, not 「%—7%」
    rows = {
        r.value: r for r in extract_document(dataclasses.replace(doc, text="星火产值增长6.5%—7%。"))
    }
    assert rows["6.5%—7%"].unit == "%" and rows["6.5%—7%"].amount == 6.5


def test_places_are_ranked_across_units_of_one_dimension(
    tmp_path: Path, settings: Settings
) -> None:
    # 亿斤 and 万吨 are both masses: 1955万吨 is 391亿斤, between 436亿斤 and 297亿斤
    plans = {
        f"{name}-2034.txt": (
            f"2034年{name}市政府工作报告\n一、2034年主要任务\n今年发展主要预期目标是：{figure}。\n"
        )
        for name, figure in (
            ("青山", "松果产量436亿斤以上"),
            ("碧水", "松果产量稳定在1955万吨以上"),
            ("云岭", "松果产量297亿斤左右"),
        )
    }
    svc = service_over(settings, tmp_path / "masses", plans)
    text, _quotes = _checked(svc, "哪个城市2034年松果产量目标最高?")
    assert [line.split("：")[0] for line in text.splitlines()[1:4]] == [
        "青山市",
        "碧水市",
        "云岭市",
    ]
    text, _quotes = _checked(svc, "哪些城市2034年松果产量目标超过2000万吨?")
    passing, failing = text.split("不符合的：")
    assert "青山市" in passing and "碧水市" in failing and "云岭市" in failing


def test_a_magnitude_takes_the_rest_of_its_unit_after_a_bound_or_its_counted_noun() -> None:
    rows = _made_up(
        "青山市清理安全出口3.2万余处。共减轻企业负担2万多亿元。"
        "12万牧民户发展庭院经济。把300万青山人的饭碗端稳。惠及158万残疾人。"
    )
    # 余/多 between the magnitude and the rest of the unit: the unit is both, the value whole
    assert (rows["3.2万余处"].unit, rows["3.2万余处"].qualifier) == ("万处", "余")
    assert rows["3.2万余处"].base_unit == "处"
    money = rows["2万多亿元"]
    assert (money.unit, money.kind, money.base_amount) == ("万亿元", "money", 2e12)
    assert money.indicator_norm == "减轻企业负担"
    # a magnitude alone before a noun phrase closed by a counter word counts in it
    assert (rows["12万"].unit, rows["12万"].base_unit) == ("万户", "户")
    assert rows["300万"].unit == "万人"
    assert rows["158万"].unit == "万"  # 残疾人 is one word: the noun is its own unit


def test_a_chinese_magnitude_is_part_of_the_unit_as_with_digits() -> None:
    rows = _made_up("青山市石墨产业产值突破千亿元。光谷产业产值达到两千亿元。")
    assert (rows["千亿元"].unit, rows["千亿元"].amount, rows["千亿元"].base_amount) == (
        "亿元",
        1000.0,
        1e11,
    )
    assert (rows["两千亿元"].unit, rows["两千亿元"].base_amount) == ("亿元", 2e11)


def test_a_price_rise_is_a_growth_and_a_rank_change_is_no_count() -> None:
    rows = _made_up(
        "青山市居民消费价格涨幅控制在3%左右。"
        "青山市失业率、居民消费价格涨幅分别控制在4.5%和2.5%以内。"
        "青山市区域创新能力全国排名上升4位。星火园区全国排名37位。"
    )
    assert rows["3%"].kind == "growth"
    assert (rows["4.5%"].kind, rows["2.5%"].kind) == ("share", "growth")
    assert rows["4位"].kind == "growth"  # a change of rank, not a count of places
    assert rows["37位"].kind == "rank"


def test_a_review_opening_a_paragraph_dates_the_sentences_after_it() -> None:
    text = (
        "青山市政府工作报告\n一、过去五年工作回顾\n刚刚过去的2033年，主要任务全面完成。"
        "星火产值增长6.9%；光谷企业利润增长21%。\n"
        "二、2034年的工作\n2034年，是关键之年。过去一年，各项工作取得了很大成绩。"
        "星火产值增长8.5%，光谷企业新增120家。今年，星火产值增长7%左右。\n"
        "光谷企业新增150家。\n"
    )
    rows = made_up_rows(text, outline=True)
    # 「过去一年」 opening a sentence of the paragraph: the sentences after it report last year
    assert (rows["8.5%"].year, rows["8.5%"].stance) == (2033, "result")
    assert (rows["120家"].year, rows["120家"].stance) == (2033, "result")
    # until a sentence opens with this year, or the paragraph ends
    assert (rows["7%"].year, rows["7%"].stance) == (2034, "target")
    assert (rows["150家"].year, rows["150家"].stance) == (2034, "target")
    # a year closing a five-year review's opening clause dates its paragraph
    assert (rows["6.9%"].year, rows["6.9%"].stance) == (2033, "result")
    assert (rows["21%"].year, rows["21%"].stance) == (2033, "result")


def test_a_places_own_scope_is_its_region() -> None:
    from rag.targets.table import indicator_matches

    # 「全市松果总值」 (全市 stripped as scope) is the city's 「地区松果总值」; nothing longer is
    assert indicator_matches("地区松果总值", "松果总值")
    assert not indicator_matches("地区松果总值", "物流费用与松果总值的比率")
    assert not indicator_matches("松果总值", "地区星火总值")
