"""A conversation as a file to take away: Markdown or Word (.docx), every answer with its
citations (title › section path, and the quote)."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any, Literal

from docx import Document as new_docx
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from pydantic import ConfigDict, Field

# request bodies share the API's rules: types as the schema states them, valid Unicode text
from rag.server.schemas import BodyIn

Format = Literal["md", "docx"]

TITLE = "科技工作要点问答 · 对话记录"
MEDIA_TYPES: dict[str, str] = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_EAST_ASIAN_FONT = "SimSun"
_QUOTE_COLOUR = RGBColor(0x44, 0x4F, 0x5C)


class ExportCitation(BodyIn):
    """A citation as the page holds it; only what a reader needs is kept."""

    model_config = ConfigDict(extra="ignore")
    title: str = Field("", max_length=500, description="文档标题")
    section_path: list[str] = Field(default_factory=list, max_length=20, description="章节路径")
    quote: str = Field("", max_length=5000, description="原文引用")


class ExportTurn(BodyIn):
    """One question and its answer (or refusal) with the answer's citations."""

    model_config = ConfigDict(extra="ignore")
    question: str = Field(min_length=1, max_length=2000, description="问题(服务端理解后的)")
    asked: str = Field("", max_length=2000, description="用户原话,与 question 不同时列出")
    answer: str = Field("", max_length=20000)
    refused: bool = False
    filters: str = Field("", max_length=200, description="提问时的筛选条件,如「陕西省 · 2022年」")
    citations: list[ExportCitation] = Field(default_factory=list, max_length=50)


class Conversation(BodyIn):
    """Body of POST /api/export."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "陕西省2022年技术合同成交额目标是多少?",
                    "turns": [
                        {
                            "question": "陕西省2022年技术合同成交额目标是多少?",
                            "answer": "2022年目标:技术合同成交额达到2500亿元",
                            "citations": [
                                {
                                    "title": "中共陕西省委科技工委 陕西省科学技术厅"
                                    "2022年科技工作要点",
                                    "section_path": ["五、加快科技成果转化和科技企业孵化"],
                                    "quote": "技术合同成交额达到2500亿元",
                                }
                            ],
                        }
                    ],
                }
            ]
        },
    )
    title: str = Field("", max_length=200, description="对话标题(可选)")
    turns: list[ExportTurn] = Field(min_length=1, max_length=200)


# XML 1.0 cannot hold control characters or lone surrogates: python-docx would refuse them
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """Text any file can hold: no control characters or lone surrogates, \\r\\n as \\n."""
    return _UNWRITABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def where(c: ExportCitation) -> str:
    """「title › section › subsection」."""
    return " › ".join(clean(x) for x in [c.title or "(未命名文档)", *c.section_path] if x)


def _heading(conv: Conversation) -> str:
    return clean(conv.title) or TITLE


def filename(conv: Conversation, fmt: Format) -> str:
    """A file name from the conversation's title: no path or reserved characters."""
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", clean(conv.title)).strip("._")[:40] or "对话记录"
    return f"{stem}.{fmt}"


# --- Markdown -------------------------------------------------------------------------------

# characters that would make document text into Markdown syntax or HTML
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md_escape(text: str) -> str:
    """Document or user text shown as itself in any Markdown renderer (HTML never runs)."""
    return _MD_SPECIAL.sub(r"\\\1", clean(text))


def _md_lines(text: str, prefix: str = "") -> list[str]:
    """Text kept line for line (a hard break at each line end)."""
    lines = md_escape(text).split("\n")
    return [
        f"{prefix}{line}" + ("  " if i < len(lines) - 1 else "") for i, line in enumerate(lines)
    ]


def to_markdown(conv: Conversation, now: datetime | None = None) -> str:
    """The conversation as Markdown: a section per question, the citations under each answer."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    out = [f"# {md_escape(_heading(conv))}", "", f"导出时间：{stamp}", ""]
    for n, turn in enumerate(conv.turns, 1):
        out += [f"## 问题 {n}：{md_escape(turn.question)}", ""]
        if turn.asked and clean(turn.asked) != clean(turn.question):
            out += [f"原话：{md_escape(turn.asked)}", ""]
        if turn.filters:
            out += [f"筛选：{md_escape(turn.filters)}", ""]
        out += [f"**{'未找到答案' if turn.refused else '回答'}**", ""]
        out += [*_md_lines(turn.answer or "(没有回答)"), ""]
        if turn.citations:
            out += ["出处：", ""]
            for i, c in enumerate(turn.citations, 1):
                out.append(f"{i}. {md_escape(where(c))}")
                if c.quote:
                    out += ["", *_md_lines(f"「{c.quote}」", "   > "), ""]
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# --- Word -----------------------------------------------------------------------------------


def _east_asian(style: Any, name: str = _EAST_ASIAN_FONT) -> None:
    """Chinese text in a Chinese font: Word takes East Asian glyphs from w:eastAsia (a theme
    font, when one is set, would win over it)."""
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.attrib.pop(qn("w:eastAsiaTheme"), None)
    fonts.set(qn("w:eastAsia"), name)


def _multiline(paragraph: Any, text: str) -> None:
    """Text with its line breaks kept as breaks inside one paragraph."""
    lines = clean(text).split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        if i < len(lines) - 1:
            run.add_break()


def to_docx(conv: Conversation, now: datetime | None = None) -> bytes:
    """The conversation as a Word document, with the same content as the Markdown."""
    doc = new_docx()
    for name in ("Normal", "Heading 1", "Heading 2", "Quote"):
        _east_asian(doc.styles[name])
    doc.styles["Normal"].font.size = Pt(11)
    doc.core_properties.title = _heading(conv)
    doc.core_properties.author = "plan-rag"
    doc.add_heading(_heading(conv), level=1)
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    doc.add_paragraph(f"导出时间：{stamp}")
    for n, turn in enumerate(conv.turns, 1):
        doc.add_heading(f"问题 {n}：{clean(turn.question)}", level=2)
        if turn.asked and clean(turn.asked) != clean(turn.question):
            doc.add_paragraph(f"原话：{clean(turn.asked)}")
        if turn.filters:
            doc.add_paragraph(f"筛选：{clean(turn.filters)}")
        label = doc.add_paragraph()
        label.add_run("未找到答案" if turn.refused else "回答").bold = True
        _multiline(doc.add_paragraph(), turn.answer or "(没有回答)")
        if not turn.citations:
            continue
        doc.add_paragraph().add_run("出处").bold = True
        for i, c in enumerate(turn.citations, 1):
            doc.add_paragraph(f"{i}. {where(c)}")
            if c.quote:
                quote = doc.add_paragraph(style="Quote")
                _multiline(quote, f"「{c.quote}」")
                for run in quote.runs:
                    run.font.color.rgb = _QUOTE_COLOUR
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def render(conv: Conversation, fmt: Format, now: datetime | None = None) -> bytes:
    """The file's bytes in the format asked for."""
    if fmt == "md":
        return to_markdown(conv, now).encode("utf-8")
    return to_docx(conv, now)
