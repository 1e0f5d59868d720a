"""Export of a conversation: Markdown and .docx rendering, and POST /api/export."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import docx
import pytest
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.server.app import create_app
from rag.server.export import (
    Conversation,
    ExportCitation,
    ExportTurn,
    filename,
    to_docx,
    to_markdown,
)
from rag.service import RagService

NOW = datetime(2025, 3, 1, 9, 30)
SHAANXI_TITLE = "中共陕西省委科技工委 陕西省科学技术厅2022年科技工作要点"
PATH = ["五、加快科技成果转化和科技企业孵化", "(十三)促进科技成果转化"]
QUOTE = "2022年目标:技术合同成交额达到2500亿元"
NUMERIC = "陕西省2022年技术合同成交额目标是多少?"
COMPARE = "陕西和安徽的高新技术企业目标分别是多少?"
FOREIGN = "广东省2021年新增多少高新技术企业?"


def conversation(**changes: Any) -> Conversation:
    turns = [
        ExportTurn(
            question=NUMERIC,
            answer="2022年目标:技术合同成交额达到2500亿元",
            citations=[ExportCitation(title=SHAANXI_TITLE, section_path=PATH, quote=QUOTE)],
        ),
        ExportTurn(
            question="广东省2021年新增多少高新技术企业?",
            asked="广东呢?",
            answer="文档中没有找到该问题的答案：文档不涉及广东省。",
            refused=True,
            filters="陕西省 · 2022年",
        ),
    ]
    return Conversation(**{"title": NUMERIC, "turns": turns, **changes})


def docx_text(data: bytes) -> list[tuple[str, str]]:
    """(style, text) of every paragraph of a .docx."""
    document = docx.Document(io.BytesIO(data))
    return [(p.style.name, p.text) for p in document.paragraphs]


# --- rendering --------------------------------------------------------------------------------


def test_markdown_has_each_answer_with_its_citations() -> None:
    md = to_markdown(conversation(), NOW)
    assert md.startswith(f"# {NUMERIC}\n")
    assert "导出时间：2025-03-01 09:30" in md
    assert f"## 问题 1：{NUMERIC}" in md
    assert "2022年目标:技术合同成交额达到2500亿元" in md
    # the citation: title › section path, then the quote
    assert f"1. {SHAANXI_TITLE} › {PATH[0]} › {PATH[1]}" in md
    assert f"   > 「{QUOTE}」" in md
    # the refusal says it is one, with the filter it was asked under and the user's own words
    second = md.split("## 问题 2：", 1)[1]
    assert "**未找到答案**" in second and "文档不涉及广东省" in second
    assert "筛选：陕西省 · 2022年" in second and "原话：广东呢?" in second
    assert "出处" not in second


def test_docx_has_each_answer_with_its_citations() -> None:
    paragraphs = docx_text(to_docx(conversation(), NOW))
    texts = [t for _s, t in paragraphs]
    assert paragraphs[0] == ("Heading 1", NUMERIC)
    assert ("Heading 2", f"问题 1：{NUMERIC}") in paragraphs
    assert "2022年目标:技术合同成交额达到2500亿元" in texts
    assert f"1. {SHAANXI_TITLE} › {PATH[0]} › {PATH[1]}" in texts
    assert ("Quote", f"「{QUOTE}」") in paragraphs
    after = texts[texts.index("问题 2：广东省2021年新增多少高新技术企业?") :]
    assert "未找到答案" in after and "筛选：陕西省 · 2022年" in after
    document = docx.Document(io.BytesIO(to_docx(conversation(), NOW)))
    assert document.core_properties.title == NUMERIC
    # Chinese text is set in a Chinese font
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")


def test_line_breaks_are_kept() -> None:
    conv = conversation(
        turns=[ExportTurn(question="比较", answer="陕西省:2500亿元【1】\n安徽省:10%以上【2】")]
    )
    md = to_markdown(conv, NOW)
    assert "陕西省:2500亿元【1】  \n安徽省:10%以上【2】" in md
    paragraphs = docx.Document(io.BytesIO(to_docx(conv, NOW))).paragraphs
    assert any(p.text == "陕西省:2500亿元【1】\n安徽省:10%以上【2】" for p in paragraphs)


def test_document_text_never_becomes_markup() -> None:
    script = "<script>alert(1)</script>"
    conv = conversation(
        turns=[
            ExportTurn(
                question=f"测试市{script}?",
                answer=f"**粗体** [链接](http://x) {script}",
                citations=[
                    ExportCitation(title=f"# {script}", section_path=["| 表 |"], quote="`x`")
                ],
            )
        ]
    )
    md = to_markdown(conv, NOW)
    assert "<script>" not in md and "\\<script\\>" in md
    assert "\\*\\*粗体\\*\\*" in md and "\\[链接\\]" in md
    assert "\\| 表 \\|" in md and "\\`x\\`" in md
    assert "\\# \\<script" in md  # a title cannot open a heading
    # Word holds the text as it is
    texts = [t for _s, t in docx_text(to_docx(conv, NOW))]
    assert f"**粗体** [链接](http://x) {script}" in texts


def test_characters_a_file_cannot_hold_are_dropped() -> None:
    bad = "控制\x00字符\x0b与\x7f换页\x0c"
    conv = conversation(turns=[ExportTurn(question=bad, answer=bad, citations=[])], title=bad)
    md = to_markdown(conv, NOW)
    assert "控制字符与换页" in md
    assert ("Heading 2", "问题 1：控制字符与换页") in docx_text(to_docx(conv, NOW))


def test_file_names_come_from_the_title() -> None:
    assert filename(conversation(), "md") == "陕西省2022年技术合同成交额目标是多少.md"
    assert filename(conversation(title='a/b\\c:d*"<>|'), "docx") == "a_b_c_d.docx"
    assert filename(conversation(title=""), "docx") == "对话记录.docx"
    assert filename(conversation(title="../../etc/passwd"), "md") == "etc_passwd.md"


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def client(settings: Settings, fake_service: RagService) -> Iterator[TestClient]:
    with TestClient(create_app(settings, fake_service)) as client:
        yield client


def page_turn(client: TestClient, question: str, **body: Any) -> dict[str, Any]:
    """A turn as the page holds it: the /api/ask response plus what the page adds."""
    resp = client.post("/api/ask", json={"question": question, **body}).json()
    return {"asked": question, **resp, "filters": "", "feedback": None}


def test_export_markdown_download(client: TestClient) -> None:
    turns = [page_turn(client, NUMERIC), page_turn(client, FOREIGN)]
    r = client.post("/api/export", json={"title": NUMERIC, "turns": turns})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/markdown; charset=utf-8"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="conversation.md"')
    name = unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1))  # type: ignore[union-attr]
    assert name == "陕西省2022年技术合同成交额目标是多少.md"
    md = r.text
    citation = turns[0]["citations"][0]
    assert f"{citation['title']} › {' › '.join(citation['section_path'])}" in md
    assert f"「{citation['quote']}」" in md
    assert "**未找到答案**" in md


def test_export_docx_download(client: TestClient) -> None:
    turns = [page_turn(client, COMPARE)]
    r = client.post("/api/export", params={"format": "docx"}, json={"turns": turns})
    assert r.status_code == 200
    assert r.headers["content-type"].endswith("wordprocessingml.document")
    assert 'filename="conversation.docx"' in r.headers["content-disposition"]
    texts = [t for _s, t in docx_text(r.content)]
    cites = turns[0]["citations"]
    assert len(cites) == 2
    for n, c in enumerate(cites, 1):
        assert f"{n}. {c['title']} › {' › '.join(c['section_path'])}" in texts
        assert f"「{c['quote']}」" in texts


@pytest.mark.parametrize(
    ("params", "body", "status", "says"),
    [
        ({"format": "pdf"}, {"turns": [{"question": "q"}]}, 422, "format"),
        ({}, {"turns": []}, 422, "turns"),
        ({}, {}, 422, "turns"),
        ({}, {"turns": [{"answer": "a"}]}, 422, "turns.0.question"),
        ({}, {"turns": [{"question": ""}]}, 422, "turns.0.question"),
        ({}, {"turns": "x"}, 422, "turns"),
        ({}, {"turns": [{"question": "q", "citations": [{"quote": 5}]}]}, 422, "quote"),
        ({}, {"turns": [{"question": "q" * 2001}]}, 422, "question"),
        ({}, {"turns": [{"question": "q"}] * 201}, 422, "turns"),
        ({}, {"turns": [{"question": "q"}], "extra": 1}, 422, "extra"),
        ({}, [1, 2], 422, "body"),
    ],
)
def test_bad_export_requests_are_4xx(
    client: TestClient, params: dict[str, str], body: Any, status: int, says: str
) -> None:
    r = client.post("/api/export", params=params, json=body)
    assert r.status_code == status, r.text
    assert says in r.json()["error"]["message"]


def test_malformed_json_and_lone_surrogates_are_not_500(client: TestClient) -> None:
    r = client.post(
        "/api/export", content=b'{"turns": [', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    raw = b'{"title": "\\ud800", "turns": [{"question": "\\udc00\\u0000?", "answer": "\\ud83d"}]}'
    for fmt in ("md", "docx"):
        r = client.post(
            f"/api/export?format={fmt}", content=raw, headers={"content-type": "application/json"}
        )
        assert 400 <= r.status_code < 500, r.text
        assert r.json()["error"]["message"]
    # control characters are dropped: the file is still written
    raw = b'{"turns": [{"question": "\\u0000\\u000b?", "answer": "a\\u001fb"}]}'
    for fmt in ("md", "docx"):
        r = client.post(
            f"/api/export?format={fmt}", content=raw, headers={"content-type": "application/json"}
        )
        assert r.status_code == 200, r.text
