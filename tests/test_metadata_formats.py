"""Metadata on real formats: report headers, spaced titles, docx properties, the real corpus.

The texts here are made up (青川省 and 青山市 are not real places), so a rule that only knows the
real corpus cannot pass them; the corpus checks then hold the rules to the real documents.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from rag.ingest.readers import load_document
from rag.records import Document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
NO_CORPUS = f"real corpus not found at {CORPUS} (it lives beside the repo, in ../shared/corpus)"

# A body that names 上海市 more than any other place: region must never come from counting.
BODY = (
    "一、2030年工作回顾\n"
    "2030年是极不平凡的一年。全省经济增长5%，与上海市、北京市、上海市、上海市深化合作。\n"
    "二、2031年工作安排\n"
    "加强科技创新。上海市、上海市。\n"
)
FIELDS = ("title", "issuer", "region", "region_level", "year", "published")


def load(tmp_path: Path, text: str, name: str = "plan.txt") -> Document:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_document(path)


def fields(doc: Document) -> dict[str, object]:
    return {key: getattr(doc, key) for key in FIELDS}


# ---------------------------------------------------------------------------- made-up texts


@pytest.mark.parametrize(
    ("opening", "region", "level"),
    [
        ("青山市科学技术局2031年科技创新工作计划", "青山市", "市"),
        ("青山市2031年科技创新工作计划", "青山市", "市"),
        ("青川省科学技术厅2031年工作要点", "青川省", "省"),
        ("青川省青山市绿水县科技局2031年工作要点", "绿水县", "县"),
        ("北京市朝阳区科学技术委员会2031年工作要点", "朝阳区", "区"),
        ("上海市科学技术委员会2031年工作要点", "上海市", "省"),
        ("广西科技厅2031年工作要点", "广西壮族自治区", "省"),
        ("海南藏族自治州科技局2031年工作要点", "海南藏族自治州", "市"),
        ("xx市科学技术局2031年工作要点", "xx市", "市"),
        ("科学技术局2031年全市科技工作要点", None, "市"),
        ("智慧城市建设办公室2031年工作要点", None, None),
    ],
)
def test_region_from_the_title_or_issuer_never_from_body_counts(
    tmp_path: Path, opening: str, region: str | None, level: str | None
) -> None:
    doc = load(tmp_path, f"{opening}\n{BODY}")
    assert (doc.title, doc.region, doc.region_level, doc.year) == (opening, region, level, 2031)


def test_no_title_line_gives_the_file_stem_not_an_invented_title(tmp_path: Path) -> None:
    doc = load(
        tmp_path, "2030年是极不平凡的一年。加强与上海市、上海市、上海市合作。\n", "notes.txt"
    )
    # the old rule wrote 「上海市2030年科技工作要点」 here
    assert (doc.title, doc.region, doc.region_level, doc.year) == ("notes", None, None, 2030)


PROVINCE_REPORT = (
    "政 府 工 作 报 告\n"
    "——2031年1月20日在青川省第九届人民代表大会第一次会议上\n"
    "青川省省长 张三\n"
    "各位代表：\n"
    "现在，我代表省人民政府，向大会报告工作，请予审议。\n" + BODY
)
PROVINCE_FIELDS = {
    "title": "政府工作报告",
    "issuer": "青川省人民政府",
    "region": "青川省",
    "region_level": "省",
    "year": 2031,
    "published": "2031-01-20",
}


@pytest.mark.parametrize(
    "report",
    [
        PROVINCE_REPORT,
        PROVINCE_REPORT.replace("政 府 工 作 报 告", "政\u3000府\u3000工\u3000作\u3000报\u3000告"),
        PROVINCE_REPORT.replace("政 府 工 作 报 告", "政府工作报\n告"),
        # the speaker inside the date line, and no 「我代表」 opening
        PROVINCE_REPORT.replace(
            "——2031年1月20日在青川省第九届人民代表大会第一次会议上\n青川省省长 张三",
            "----2031年1月20日张三省长在青川省第九届人民代表大会第一次会议的政府工作报告",
        ).replace("我代表省人民政府，", ""),
        PROVINCE_REPORT.replace("青川省省长 张三", "代省长 李四").replace("我代表省人民政府，", ""),
    ],
    ids=["spaced", "full-width-spaced", "title-over-two-lines", "speaker-in-date-line", "acting"],
)
def test_provincial_report_header(tmp_path: Path, report: str) -> None:
    assert fields(load(tmp_path, report)) == PROVINCE_FIELDS


def test_undated_report_falls_back_to_the_file_name(tmp_path: Path) -> None:
    report = "政府工作报告\n各位代表：\n现在，我代表省人民政府，向大会报告工作。\n" + BODY
    doc = load(tmp_path, report, "2031年青川省政府工作报告.txt")
    # the year is the one after the year the report reviews; no date is written, none is made up
    assert fields(doc) == PROVINCE_FIELDS | {"published": None}


def test_date_line_is_not_taken_for_the_title(tmp_path: Path) -> None:
    report = (
        "2031年1月20日在青川省第九届人民代表大会第一次会议上青川省省长张三作政府工作报告\n"
        "各位代表：\n现在，我代表省人民政府向大会报告工作。\n" + BODY
    )
    assert fields(load(tmp_path, report)) == PROVINCE_FIELDS


def test_city_report(tmp_path: Path) -> None:
    report = (
        "政府工作报告\n——2031年2月3日在青山市第三届人民代表大会第二次会议上\n市长 王五\n"
        "各位代表：\n现在，我代表市人民政府，向大会报告工作。\n" + BODY
    )
    assert fields(load(tmp_path, report)) == {
        "title": "政府工作报告",
        "issuer": "青山市人民政府",
        "region": "青山市",
        "region_level": "市",
        "year": 2031,
        "published": "2031-02-03",
    }


NATIONAL_REPORT = (
    "政府工作报告\n"
    "——2031年3月5日在第十九届全国人民代表大会第一次会议上\n"
    "国务院总理\n"
    "赵\u3000六\n"
    "各位代表：\n"
    "现在，我代表国务院，向大会报告政府工作，请予审议。\n" + BODY
)
NATIONAL_FIELDS = {
    "title": "政府工作报告",
    "issuer": "国务院",
    "region": "全国",
    "region_level": "国家",
    "year": 2031,
    "published": "2031-03-05",
}


@pytest.mark.parametrize(
    ("report", "changed"),
    [
        (NATIONAL_REPORT, {}),
        (NATIONAL_REPORT.replace("我代表国务院，", ""), {}),
        (NATIONAL_REPORT.replace("国务院总理\n赵\u3000六\n", ""), {}),
        # no header at all: the opening names the kind, the reviewed year gives the plan year
        (
            "各位代表：\n现在，我代表国务院向大会作政府工作报告，请予审议。\n" + BODY,
            {"published": None},
        ),
        # another report to the national congress: national, but not by the State Council
        (
            "最高人民法院工作报告\n——2031年3月8日在第十九届全国人民代表大会第一次会议上\n"
            "各位代表：\n现在，我代表最高人民法院，向大会报告工作。\n" + BODY,
            {"title": "最高人民法院工作报告", "issuer": "最高人民法院", "published": "2031-03-08"},
        ),
    ],
    ids=["full", "speaker-only", "opening-only", "no-header", "court"],
)
def test_national_report(tmp_path: Path, report: str, changed: dict[str, object]) -> None:
    assert fields(load(tmp_path, report)) == NATIONAL_FIELDS | changed


@pytest.mark.parametrize(
    ("self_word", "region", "level"),
    [("全省", "江西省", "省"), ("全市", None, "市")],
)
def test_untitled_text_names_itself(
    tmp_path: Path, self_word: str, region: str | None, level: str
) -> None:
    """Its own level from the words it uses for itself; its place only if that level agrees."""
    text = f"2031年是开局之年。{self_word}要深入落实视察江西重要讲话精神。" * 3
    doc = load(tmp_path, text + "\n一、主要任务\n上海市、上海市、上海市。\n")
    assert (doc.region, doc.region_level) == (region, level)


def test_sidecar_issuer_moves_the_region(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(f"青山市科学技术局2031年工作要点\n{BODY}", encoding="utf-8")
    (tmp_path / "plan.txt.meta.json").write_text(
        json.dumps({"issuer": "青川省科学技术厅"}), encoding="utf-8"
    )
    doc = load_document(path)
    assert (doc.issuer, doc.region, doc.region_level) == ("青川省科学技术厅", "青川省", "省")


# ------------------------------------------------------------------------------------- docx


def write_docx(path: Path, lines: list[str], props: dict[str, object]) -> None:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    for key, value in props.items():
        setattr(document.core_properties, key, value)
    document.save(str(path))


DOCX_BODY = ["一、总体要求", "2031年是开局之年。全市科技工作要加快创新。", "二、主要任务"]


@pytest.mark.parametrize(
    ("lines", "props", "expected"),
    [
        (
            DOCX_BODY,
            {
                "title": "青山市科学技术局2031年工作要点",
                "author": "jianye",
                "created": datetime.datetime(2031, 2, 1, 9, 0),
            },
            {
                "title": "青山市科学技术局2031年工作要点",
                "issuer": "青山市科学技术局",
                "region": "青山市",
                "region_level": "市",
                "year": 2031,
                "published": "2031-02-01",
            },
        ),
        (
            DOCX_BODY,
            {
                "title": "文档1",
                "author": "青山市科学技术局",
                "created": datetime.datetime(2030, 12, 28, 9, 0),
            },
            {
                "title": "plan",
                "issuer": "青山市科学技术局",
                "region": "青山市",
                "region_level": "市",
                "year": 2031,
                "published": "2030-12-28",
            },
        ),
        # python-docx's own template: author python-docx, created 2013-12-23 (not this plan's)
        (
            DOCX_BODY,
            {"author": "python-docx", "created": datetime.datetime(2013, 12, 23, 23, 15)},
            {
                "title": "plan",
                "issuer": None,
                "region": None,
                "region_level": None,
                "year": 2031,
                "published": None,
            },
        ),
        # a title line in the text wins over the property
        (
            ["青川省科学技术厅2031年工作要点", *DOCX_BODY],
            {
                "title": "青山市科学技术局2031年工作要点",
                "created": datetime.datetime(2031, 2, 1, 9, 0),
            },
            {
                "title": "青川省科学技术厅2031年工作要点",
                "issuer": "青川省科学技术厅",
                "region": "青川省",
                "region_level": "省",
                "year": 2031,
                "published": "2031-02-01",
            },
        ),
    ],
    ids=["title-property", "author-property", "template-defaults", "text-title-wins"],
)
def test_docx_core_properties_are_a_fallback(
    tmp_path: Path, lines: list[str], props: dict[str, object], expected: dict[str, object]
) -> None:
    path = tmp_path / "plan.docx"
    write_docx(path, lines, props)
    assert fields(load_document(path)) == expected


# ------------------------------------------------------------------------------ real corpus

NATIONAL_PUBLISHED = {
    2010: None,
    2011: None,
    2012: None,
    2013: None,
    2014: None,
    2015: None,
    2016: None,
    2017: "2017-03-05",
    2018: None,
    2019: None,
    2022: "2022-03-05",
    2024: "2024-03-05",
    2025: None,
}
# the name in the file name -> (the province's full name, the date its report was delivered)
PROVINCIAL = {
    "上海市": ("上海市", "2025-01-15"),
    "云南省": ("云南省", "2025-01-18"),
    "内蒙古自治区": ("内蒙古自治区", "2025-01-14"),
    "北京市": ("北京市", "2025-01-14"),
    "吉林省": ("吉林省", "2025-01-14"),
    "四川省": ("四川省", "2025-01-20"),
    "天津市": ("天津市", "2025-01-14"),
    "宁夏": ("宁夏回族自治区", "2025-01-19"),
    "山东省": ("山东省", "2025-01-20"),
    "山西省": ("山西省", "2025-01-17"),
    "广西": ("广西壮族自治区", "2025-01-13"),
    "新疆": ("新疆维吾尔自治区", "2025-01-19"),
    "江苏省": ("江苏省", "2025-01-19"),
    "江西省": ("江西省", "2025-01-17"),
    "河北省": ("河北省", "2025-01-13"),
    "河南省": ("河南省", "2025-01-18"),
    "海南省": ("海南省", "2025-01-14"),
    "湖南省": ("湖南省", "2025-01-14"),
    "甘肃省": ("甘肃省", "2025-01-20"),
    "福建省": ("福建省", "2025-01-13"),
    "西藏": ("西藏自治区", "2025-01-19"),
    "辽宁省": ("辽宁省", "2025-01-16"),
    "重庆市": ("重庆市", "2025-01-19"),
    "青海省": ("青海省", "2025-01-19"),
    "黑龙江省": ("黑龙江省", "2025-01-13"),
}


def corpus_document(relative: str) -> Document:
    if not CORPUS.is_dir():
        pytest.skip(NO_CORPUS)
    return load_document(CORPUS / relative)


@pytest.mark.parametrize(("year", "published"), NATIONAL_PUBLISHED.items())
def test_national_corpus(year: int, published: str | None) -> None:
    doc = corpus_document(f"national/{year}年国务院政府工作报告.txt")
    assert fields(doc) == NATIONAL_FIELDS | {"year": year, "published": published}


@pytest.mark.parametrize(("named", "expected"), PROVINCIAL.items())
def test_provincial_corpus(named: str, expected: tuple[str, str]) -> None:
    province, published = expected
    doc = corpus_document(f"provinces-2025/2025年{named}政府工作报告.docx")
    assert (doc.region, doc.region_level, doc.year, doc.published) == (
        province,
        "省",
        2025,
        published,
    )
    assert doc.issuer == f"{province}人民政府"
    # the title is a line of the document itself, never words put together by a rule
    assert "政府工作报告" in doc.title
    assert doc.title in re.sub(r"\s+", "", doc.text)


def test_corpus_has_every_report_checked() -> None:
    if not CORPUS.is_dir():
        pytest.skip(NO_CORPUS)
    found = {p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*") if p.suffix != ".md"}
    checked = {f"national/{y}年国务院政府工作报告.txt" for y in NATIONAL_PUBLISHED} | {
        f"provinces-2025/2025年{n}政府工作报告.docx" for n in PROVINCIAL
    }
    assert found == checked
