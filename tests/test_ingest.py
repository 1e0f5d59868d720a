"""Ingestion: reading every format, boilerplate removal, metadata and the section tree."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import pytest

from rag.errors import IngestError
from rag.ingest.clean import clean_text
from rag.ingest.formats import decode_bytes
from rag.ingest.outline import find_headings, parse_sections, topic_sentence
from rag.ingest.readers import ingest_paths, load_document
from rag.records import Document, Section

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_IDS = ["000", "001", "002", "003", "004"]
_CN = "一二三四五六七八九十"


def cn(n: int) -> str:
    """Chinese numeral for 1..99, as outlines write it."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN[tens - 1] + "十")
    return head + (_CN[ones - 1] if ones else "")


def seed_path(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


@pytest.fixture(scope="module")
def seeds() -> dict[str, Document]:
    return {prefix: load_document(seed_path(prefix)) for prefix in SEED_IDS}


def numbers(doc: Document, level: int) -> list[str]:
    return [s.number for s in doc.sections if s.level == level and s.number]


def children(doc: Document, parent: Section) -> list[Section]:
    return [s for s in doc.sections if s.parent == parent.id]


def by_number(doc: Document, number: str) -> Section:
    return next(s for s in doc.sections if s.number == number)


# ------------------------------------------------------------------------------ section tree


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (
            "000",
            {
                1: ["一、", "二、", "三、"],
                2: [f"({cn(i)})" for i in range(1, 9)],
                3: [f"{i}." for i in range(1, 28)],
            },
        ),
        ("001", {1: [f"{cn(i)}、" for i in range(1, 9)], 2: [f"{i}." for i in range(1, 24)]}),
        (
            "002",
            {1: [f"{cn(i)}、" for i in range(1, 11)], 2: [f"({cn(i)})" for i in range(1, 33)]},
        ),
        ("004", {1: ["一、", "二、"], 2: [f"{i}." for i in [*range(1, 11), *range(1, 6)]]}),
        ("003", {1: []}),
    ],
)
def test_outline_numbers_per_level(
    seeds: dict[str, Document], prefix: str, expected: dict[int, list[str]]
) -> None:
    doc = seeds[prefix]
    assert {level: numbers(doc, level) for level in expected} == expected
    assert max(s.level for s in doc.sections) <= max(expected)


@pytest.mark.parametrize(
    ("prefix", "parent", "child_numbers"),
    [
        ("000", "三、", [f"({cn(i)})" for i in range(1, 9)]),
        ("000", "(五)", ["14.", "15.", "16.", "17."]),
        ("004", "一、", [f"{i}." for i in range(1, 11)]),
        ("004", "二、", [f"{i}." for i in range(1, 6)]),
        ("002", "十、", [f"({cn(i)})" for i in range(28, 33)]),
    ],
)
def test_children_of_a_section(
    seeds: dict[str, Document], prefix: str, parent: str, child_numbers: list[str]
) -> None:
    doc = seeds[prefix]
    kids = children(doc, by_number(doc, parent))
    assert [s.number for s in kids if s.number] == child_numbers


@pytest.mark.parametrize(
    ("prefix", "number", "path"),
    [
        (
            "000",
            "15.",
            (
                "三、重点任务",
                "(五)加速成果转化,培育更多的创新发展主体",
                "15.提高科技成果转化孵化效能",
            ),
        ),
        ("002", "(一)", ("一、加力加速推进秦创原创新驱动平台建设", "(一)突出抓示范抓引领")),
        ("001", "23.", ("八、推进全面从严治党,推动科技事业高质量发展", "23.加强科技管理队伍建设")),
        ("004", "二、", ("二、下一步打算",)),
    ],
)
def test_path_of_known_items(
    seeds: dict[str, Document], prefix: str, number: str, path: tuple[str, ...]
) -> None:
    assert by_number(seeds[prefix], number).path == path


def test_preamble_and_intro_sections(seeds: dict[str, Document]) -> None:
    first, targets = seeds["002"].sections[:2]
    assert (first.number, first.title, first.start) == ("", "前言", 0)
    # a preamble paragraph opening with a label is a section of its own
    assert (targets.title, targets.level, targets.path) == ("主要目标", 1, ("主要目标",))
    assert (
        seeds["002"]
        .text[targets.start : targets.end]
        .startswith("主要目标:秦创原创新驱动平台建设取得明显成效")
    )
    assert "主要目标" not in seeds["002"].text[first.start : first.end]
    doc = seeds["004"]
    intro = children(doc, by_number(doc, "二、"))[0]
    assert intro.number == ""
    assert doc.text[intro.start : intro.end].startswith("我们将以习近平新时代中国特色社会主义思想")
    assert intro.path == ("二、下一步打算", intro.title)


def test_unnumbered_document_gets_one_section_per_paragraph(seeds: dict[str, Document]) -> None:
    doc = seeds["003"]
    paragraphs = [line for line in doc.text.split("\n") if line.strip()]
    assert len(doc.sections) == len(paragraphs)
    assert all(s.number == "" and s.level == 1 and s.parent is None for s in doc.sections)
    titles = [s.title for s in doc.sections]
    assert "积极打造以大南昌都市圈为核心的科技创新中心" in titles
    assert "加快建设鄱阳湖国家自主创新示范区" in titles


def heading_end(doc: Document, section: Section) -> int:
    """End of a parent's own heading: marker, title and the 。 that may close it."""
    end = doc.text.index(section.title, section.start) + len(section.title)
    return end + 1 if doc.text[end : end + 1] in {"。", "；", ";"} else end


@pytest.mark.parametrize("prefix", SEED_IDS)
def test_section_invariants(seeds: dict[str, Document], prefix: str) -> None:
    doc = seeds[prefix]
    sections = doc.sections
    ids = {s.id: s for s in sections}
    assert [s.id for s in sections] == [f"s{i}" for i in range(1, len(sections) + 1)]
    assert [s.start for s in sections] == sorted(s.start for s in sections)
    parents = {s.parent for s in sections}
    covered = bytearray(len(doc.text))
    for s in sections:
        assert 0 <= s.start < s.end <= len(doc.text)
        assert not doc.text[s.start].isspace() and not doc.text[s.end - 1].isspace()
        if s.number:
            assert doc.text[s.start : s.end].startswith(s.number)
        label = f"{s.number}{s.title}" if s.number else s.title
        assert s.title and s.path[-1] == label
        if s.parent is None:
            assert s.path == (label,)
        else:
            parent = ids[s.parent]
            assert parent.start <= s.start and s.end <= parent.end
            assert s.level > parent.level and s.path == (*parent.path, label)
        own = (s.start, s.end) if s.id not in parents else (s.start, heading_end(doc, s))
        covered[own[0] : own[1]] = b"\x01" * (own[1] - own[0])
    for parent_id in parents:
        kids = [s for s in sections if s.parent == parent_id]
        for left, right in itertools.pairwise(kids):
            assert left.end <= right.start
    uncovered = [i for i, c in enumerate(doc.text) if not c.isspace() and not covered[i]]
    assert uncovered == [], doc.text[uncovered[0] : uncovered[0] + 40] if uncovered else ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a year at a line start and a 1. inside a paragraph are not headings
        (
            "一、总体\n2021.3.1 召开会议。\n全年完成1. 项目\n1.第一项。内容\n2.第二项\n二、其他",
            ["一、", "1.", "2.", "二、"],
        ),
        # a stray (四) does not open an outline; (一) after it does
        ("(四)孤立的标题\n正文。\n(一)开始\n(二)继续", ["(一)", "(二)"]),
        # items restart at 1 under a new parent, and do not skip numbers
        ("一、甲\n1.a\n2.b\n二、乙\n1.c\n3.d\n2.e", ["一、", "1.", "2.", "二、", "1.", "2."]),
        # full-width and ASCII parentheses are one family; 第X章 and 第X条 nest by appearance
        (
            "第一章 总则\n第一条 目的\n第二条 范围\n第二章 任务\n第三条 内容",
            ["第一章", "第一条", "第二条", "第二章", "第三条"],
        ),
        ("（一）甲\n(二)乙\n（三）丙", ["（一）", "(二)", "（三）"]),
    ],
)
def test_heading_continuity(text: str, expected: list[str]) -> None:
    assert [h.number for h, _level in find_headings(text)] == expected


def test_levels_follow_first_appearance() -> None:
    text = "1.甲\n(1)子\n(2)子\n2.乙\n(1)子"
    sections = parse_sections(text)
    assert [(s.number, s.level) for s in sections] == [
        ("1.", 1),
        ("(1)", 2),
        ("(2)", 2),
        ("2.", 1),
        ("(1)", 2),
    ]


def test_topic_sentence() -> None:
    assert topic_sentence("推进科创城建设。按照原则") == "推进科创城建设"
    long = (
        "2021年是实施“十四五”规划的开局之年,开好局、起好步对顺利完成“十四五”科技发展专项规划"
        "目标至关重要。"
    )
    assert topic_sentence(long) == "2021年是实施“十四五”规划的开局之年"
    assert len(topic_sentence("很" * 100)) == 40


# ------------------------------------------------------------------------------- cleaning


@pytest.mark.parametrize(
    ("prefix", "junk", "kept"),
    [
        (
            "000",
            ["发布时间", "阅读次数", "字体:【", "来源:办公室"],
            [
                "全省全社会研发(R&D)经费支出占地区生产总值的比重达到2.34%",
                "新培育科技企业孵化器和众创空间20家左右",
                "皖科党〔2021〕11号",
            ],
        ),
        (
            "001",
            [
                "荟聚奇文",
                "见贤思齐",
                "当前位置",
                "网站:公文素材库",
                "移动端",
                "免责声明",
                "来源:网络整理",
                "由互联网用户整理提供",
                "链接地址",
                "bsmz.net",
            ],
            [
                "力争2021年新认定国家高新技术企业25家、新增备案省级高新技术企业30家",
                "并予以3-4年时间的稳定支持",
            ],
        ),
        (
            "002",
            [
                "索 引 号",
                "发布机构",
                "成文日期",
                "效力状态",
                "ztfd.png",
                "ztzc.png",
                "时间: 2022-03-08",
                "扫一扫在手机打开当前页",
                "关注秦科技了解更多科技信息",
            ],
            ["技术合同成交额达到2500亿元", "(此件公开发布)", "陕科工发〔2022〕3号"],
        ),
        (
            "003",
            ["咨询热线", "400-066-2698", "更新时间", "上海五星体育在线高清直播"],
            [
                "力争全省规模以上工业企业建有研发机构比例达40%以上,全省研发投入强度达到2.0%",
                "(四)发布中长期发展规划纲要",
            ],
        ),
        (
            "004",
            ["您当前所在的位置", "发布日期", "浏览次数", "字号"],
            [
                "吸纳技术合同成交额\u00a031.12亿元,同比增长16%",
                "市科技局2020年上半年工作总结及下半年工作安排",
            ],
        ),
    ],
)
def test_boilerplate_removed_plan_text_kept(
    seeds: dict[str, Document], prefix: str, junk: list[str], kept: list[str]
) -> None:
    text = seeds[prefix].text
    assert [j for j in junk if j in text] == []
    assert [k for k in kept if k not in text] == []


@pytest.mark.parametrize("prefix", SEED_IDS)
def test_cleaning_only_drops_lines_and_whitespace(seeds: dict[str, Document], prefix: str) -> None:
    raw_lines = {
        line.strip() for line in seed_path(prefix).read_text(encoding="utf-8").splitlines()
    }
    text = seeds[prefix].text
    assert [line for line in text.split("\n") if line and line not in raw_lines] == []
    assert "\n\n\n" not in text and text == text.strip()


@pytest.mark.parametrize(
    ("prefix", "title_line"),
    [
        ("001", "科学技术局2021年全市科技工作要点范文"),
        ("002", "中共陕西省委科技工委 陕西省科学技术厅关于印发2022年科技工作要点的通知"),
    ],
)
def test_duplicated_title_lines_kept_once(
    seeds: dict[str, Document], prefix: str, title_line: str
) -> None:
    assert seeds[prefix].text.count(title_line) == 1


def test_clean_text_strips_full_width_spaces_and_collapses_blank_lines() -> None:
    raw = "\u3000\u3000第一段。 \r\n\r\n\r\n\n  第二段 有空格。\u3000\n当前位置:首页 > 通知\n"
    assert clean_text(raw) == "第一段。\n\n第二段 有空格。"


# ------------------------------------------------------------------------------- metadata


@pytest.mark.parametrize(
    ("prefix", "meta"),
    [
        (
            "000",
            {
                "title": "安徽省科学技术厅2021年工作要点",
                "issuer": "安徽省科学技术厅",
                "region": "安徽省",
                "region_level": "省",
                "year": 2021,
                "published": "2021-03-01",
                "doc_number": "皖科党〔2021〕11号",
            },
        ),
        (
            "001",
            {
                "title": "科学技术局2021年全市科技工作要点",
                "issuer": "科学技术局",
                "region": None,
                "region_level": "市",
                "year": 2021,
                "published": "2021-02-23",
                "doc_number": None,
            },
        ),
        (
            "002",
            {
                "title": "中共陕西省委科技工委 陕西省科学技术厅2022年科技工作要点",
                "issuer": "中共陕西省委科技工委 陕西省科学技术厅",
                "region": "陕西省",
                "region_level": "省",
                "year": 2022,
                "published": "2022-03-08",
                "doc_number": "陕科工发〔2022〕3号",
            },
        ),
        (
            "003",
            {
                "title": "江西省2021年科技工作要点",
                "issuer": None,
                "region": "江西省",
                "region_level": "省",
                "year": 2021,
                "published": None,
                "doc_number": None,
            },
        ),
        (
            "004",
            {
                "title": "芜湖市科技局2020年上半年工作总结及下半年工作安排",
                "issuer": "芜湖市科技局",
                "region": "芜湖市",
                "region_level": "市",
                "year": 2020,
                "published": "2020-08-10",
                "doc_number": None,
            },
        ),
    ],
)
def test_seed_metadata(seeds: dict[str, Document], prefix: str, meta: dict[str, object]) -> None:
    doc = seeds[prefix]
    assert {key: getattr(doc, key) for key in meta} == meta
    path = seed_path(prefix)
    assert (doc.doc_id, doc.source) == (path.stem, path.name)
    assert re.fullmatch(r"[0-9a-f]{64}", doc.sha256)


def test_sidecar_overrides_fields(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    shutil.copy(seed_path("003"), path)
    sidecar = {"title": "江西省科学技术厅2021年工作要点", "issuer": "江西省科学技术厅"}
    (tmp_path / "plan.txt.meta.json").write_text(
        json.dumps(sidecar | {"year": 2022, "published": None}), encoding="utf-8"
    )
    doc = load_document(path)
    assert (doc.title, doc.issuer, doc.year, doc.region) == (*sidecar.values(), 2022, "江西省")


@pytest.mark.parametrize(
    ("sidecar", "message"),
    [
        ({"colour": "red"}, "unknown field 'colour'"),
        ({"year": "2021"}, "year must be an integer"),
        ({"published": "2021/3/1"}, "published must be a date YYYY-MM-DD"),
        ({"title": ""}, "title must be a non-empty string"),
        ([1, 2], "must hold a JSON object"),
    ],
)
def test_bad_sidecar_is_an_ingest_error(tmp_path: Path, sidecar: object, message: str) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("2021年科技工作要点\n一、总体要求\n", encoding="utf-8")
    (tmp_path / "plan.txt.meta.json").write_text(json.dumps(sidecar), encoding="utf-8")
    with pytest.raises(IngestError, match=re.escape(message)):
        load_document(path)


# -------------------------------------------------------------------------- reading formats


PLAN = "江西省2021年科技工作要点\n一、总体要求\n1.加强研发投入。全省研发投入强度达到2.0%。\n"


@pytest.mark.parametrize(
    "encoded",
    [PLAN.encode("utf-8"), PLAN.encode("utf-8-sig"), PLAN.encode("gb18030"), PLAN.encode("utf-16")],
    ids=["utf-8", "utf-8-bom", "gb18030", "utf-16-bom"],
)
def test_text_encodings(tmp_path: Path, encoded: bytes) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes(encoded)
    doc = load_document(path)
    assert doc.text == PLAN.strip()
    assert [s.number for s in doc.sections] == ["", "一、", "1."]


def test_decode_bytes_prefers_utf8_then_gb18030() -> None:
    assert decode_bytes("科技".encode(), "a.txt") == "科技"
    assert decode_bytes("\ufeff科技".encode(), "a.txt") == "科技"
    assert decode_bytes("科技".encode("gb18030"), "a.txt") == "科技"


def test_html_visible_text(tmp_path: Path) -> None:
    html = """<!DOCTYPE html><html><head><meta charset="gbk"><title>网站标题</title>
    <style>p { color: red }</style><script>var hidden = "脚本内容";</script></head>
    <body><div class="nav">当前位置:首页 > 通知</div><!-- 注释内容 -->
    <h1>芜湖市科技局2021年工作要点</h1>
    <p>一、总体要求</p><p>1.加强研发投入。全年
    新增<b>高新技术企业</b>100家。</p>
    <div>2.优化服务<br>第二行</div><noscript>请启用脚本</noscript>
    <table><tr><td>指标</td><td>目标</td></tr></table></body></html>"""
    path = tmp_path / "page.html"
    path.write_bytes(html.encode("gb18030"))
    doc = load_document(path)
    assert [line for line in doc.text.split("\n") if line] == [
        "芜湖市科技局2021年工作要点",
        "一、总体要求",
        "1.加强研发投入。全年 新增高新技术企业100家。",
        "2.优化服务",
        "第二行",
        "指标 目标",
    ]
    assert (doc.title, doc.region, doc.year) == ("芜湖市科技局2021年工作要点", "芜湖市", 2021)
    assert [s.number for s in doc.sections] == ["", "一、", "1.", "2."]


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for text in [
        "安徽省科学技术厅2021年工作要点",
        "一、总体思路",
        "1. 加强研发。全年投入增长10%。",
    ]:
        document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "指标"
    table.rows[0].cells[1].text = "2.34%"
    document.add_paragraph("2. 优化服务。")
    path = tmp_path / "plan.docx"
    document.save(str(path))
    doc = load_document(path)
    assert doc.text.split("\n") == [
        "安徽省科学技术厅2021年工作要点",
        "一、总体思路",
        "1. 加强研发。全年投入增长10%。",
        "指标 2.34%",
        "2. 优化服务。",
    ]
    assert [s.label for s in doc.sections] == [
        "前言",
        "一、总体思路",
        "1.加强研发",
        "2.优化服务",
    ]
    assert (doc.region, doc.year) == ("安徽省", 2021)


def minimal_pdf(content: bytes) -> bytes:
    """A one-page PDF whose page draws `content` (a content stream) in Helvetica."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def test_pdf_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "plan.pdf"
    path.write_bytes(minimal_pdf(b"BT /F1 12 Tf 20 100 Td (Science plan 2021) Tj ET"))
    doc = load_document(path)
    assert doc.text == "Science plan 2021"


def test_pdf_without_text_layer_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(minimal_pdf(b"0 0 m 200 100 l S"))
    with pytest.raises(IngestError, match=r"scan\.pdf: PDF has no text layer"):
        load_document(path)


# --------------------------------------------------------------------------- malformed files


MALFORMED = [
    ("empty.txt", b"", "file is empty"),
    ("blank.md", b" \n\t\n", "file is empty"),
    ("garbage.txt", bytes(range(256)) * 8, "cannot be decoded"),
    ("nul.txt", b"plan\x00\x01\x02\x03 text", "binary"),
    ("notes.xyz", "一、总体要求".encode(), "unsupported file type '.xyz'"),
    ("broken.docx", b"PK\x03\x04 this is not a zip archive", "not a readable .docx"),
    ("fake.pdf", b"%PDF-1.4\nthis is not a PDF body", "PDF"),
    ("only_junk.txt", "当前位置:首页\n扫一扫在手机打开当前页\n".encode(), "no text left"),
]


@pytest.mark.parametrize(("name", "data", "message"), MALFORMED)
def test_malformed_file_is_an_ingest_error(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError, match=re.escape(message)) as raised:
        load_document(path)
    assert name in str(raised.value)


def test_ingest_folder_reports_failures_and_keeps_going(tmp_path: Path) -> None:
    for name, data, _message in MALFORMED:
        (tmp_path / name).write_bytes(data)
    nested = tmp_path / "nested"
    nested.mkdir()
    shutil.copy(seed_path("000"), nested / "anhui.txt")
    shutil.copy(seed_path("004"), tmp_path / "wuhu.txt")
    (tmp_path / "wuhu.txt.meta.json").write_text('{"year": 2020}', encoding="utf-8")
    (tmp_path / "README.md").write_text("# 说明\n", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("隐藏文件", encoding="utf-8")
    docs, failures = ingest_paths([tmp_path, tmp_path / "missing.txt"])
    assert [d.doc_id for d in docs] == ["anhui", "wuhu"]
    assert sorted(path.name for path, _reason in failures) == sorted(
        [name for name, _data, _message in MALFORMED] + ["missing.txt"]
    )
    assert all(path.name in reason for path, reason in failures)


def test_ingest_paths_on_seed_folder(seeds: dict[str, Document]) -> None:
    docs, failures = ingest_paths([SEEDS])
    assert failures == []
    assert [d.doc_id for d in docs] == [seeds[p].doc_id for p in SEED_IDS]
    assert docs == [seeds[p] for p in SEED_IDS]


def test_same_doc_id_twice_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        shutil.copy(seed_path("004"), tmp_path / folder / "plan.txt")
    docs, failures = ingest_paths([tmp_path])
    assert len(docs) == 1
    assert [(p.parent.name, "already used" in r) for p, r in failures] == [("b", True)]
