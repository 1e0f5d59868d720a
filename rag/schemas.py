"""Request bodies of the HTTP API and the JSON shapes of its answers, passages and documents."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.retrieve import Filters
from rag.service import RagService, Turn
from rag.types import Answer, Citation, Document, Hit, Section

EXAMPLE_QUESTION = "陕西省2022年技术合同成交额目标是多少?"


class FiltersIn(BaseModel):
    """Optional restrictions of an /api/ask or /api/search request."""

    model_config = ConfigDict(extra="forbid")
    region: str | None = Field(None, max_length=20, description="地区", examples=["陕西省"])
    year: int | None = Field(None, ge=1949, le=2100, description="计划年份", examples=[2022])
    doc_id: str | None = Field(None, max_length=200, description="只在这份文档中查找")


class TurnIn(BaseModel):
    """A previous exchange, for follow-up questions such as 「那陕西呢?」."""

    model_config = ConfigDict(extra="ignore")
    question: str = Field(max_length=2000, examples=["安徽2021年新增多少家省级科技特派员工作站?"])
    answer: str = Field("", max_length=20000)


class AskIn(BaseModel):
    """Body of POST /api/ask and POST /api/ask/stream."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": EXAMPLE_QUESTION, "top_k": 5},
                {
                    "question": "那陕西呢?",
                    "history": [{"question": "安徽2021年新增多少家省级科技特派员工作站?"}],
                },
                {"question": "重点任务有哪些?", "filters": {"region": "江西省", "year": 2021}},
            ]
        },
    )
    question: str = Field(description="问题(中文)", examples=[EXAMPLE_QUESTION])
    top_k: int | None = Field(None, ge=1, le=50, description="检索段落数")
    filters: FiltersIn | None = None
    history: list[TurnIn] = Field(
        default_factory=list, max_length=50, description="本次对话之前的问答,用于追问"
    )

    def turns(self) -> list[Turn]:
        """The history as service turns."""
        return [Turn(t.question, t.answer) for t in self.history]


class CitationIn(BaseModel):
    """A citation as the page sends it back with feedback."""

    model_config = ConfigDict(extra="ignore")
    doc_id: str = Field("", max_length=200)
    title: str = Field("", max_length=500)
    section_path: list[str] = Field(default_factory=list, max_length=20)
    start: int = Field(0, ge=0)
    end: int = Field(0, ge=0)
    quote: str = Field("", max_length=5000)


class FeedbackIn(BaseModel):
    """Body of POST /api/feedback: a rating of one answer, with an optional comment."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "question": EXAMPLE_QUESTION,
                    "answer": "2500亿元",
                    "citations": [{"doc_id": "002_9588b7af80620eb9", "start": 730, "end": 824}],
                    "rating": "up",
                    "comment": "引用准确",
                }
            ]
        },
    )
    question: str = Field(min_length=1, max_length=2000)
    answer: str = Field("", max_length=20000)
    citations: list[CitationIn] = Field(default_factory=list, max_length=50)
    rating: Literal["up", "down"] = Field(description="up = 有帮助, down = 没帮助")
    comment: str = Field("", max_length=2000, description="可选的意见")


def citation_json(c: Citation) -> dict[str, Any]:
    """A citation as the API returns it."""
    data = asdict(c)
    data["section_path"] = list(c.section_path)
    return data


def hit_json(hit: Hit, rank: int, title: str) -> dict[str, Any]:
    """A ranked passage with its score breakdown."""
    c = hit.chunk
    return {
        "rank": rank,
        "chunk_id": c.chunk_id,
        "doc_id": c.doc_id,
        "source": c.source,
        "title": title,
        "section_path": list(c.section_path),
        "start": c.start,
        "end": c.end,
        "text": c.text,
        "scores": {
            "bm25": hit.bm25,
            "dense": hit.dense,
            "fused": hit.score,
            "bm25_rank": hit.bm25_rank,
            "dense_rank": hit.dense_rank,
        },
    }


def passages_json(hits: tuple[Hit, ...] | list[Hit], service: RagService) -> list[dict[str, Any]]:
    """Ranked passages, each with its document's title."""
    titles = {d.doc_id: d.title for d in service.documents()}
    return [hit_json(h, i + 1, titles.get(h.chunk.doc_id, "")) for i, h in enumerate(hits)]


def answer_json(answer: Answer, service: RagService) -> dict[str, Any]:
    """The /api/ask response body."""
    return {
        "question": answer.question,
        "answer": answer.answer,
        "refused": answer.refused,
        "type": answer.qtype,
        "citations": [citation_json(c) for c in answer.citations],
        "rows": [{"label": r[0], "value": r[1], "citation": r[2]} for r in answer.rows],
        "passages": passages_json(answer.hits, service),
        "timings_ms": answer.timings_ms,
    }


def section_json(s: Section) -> dict[str, Any]:
    """One node of a document's outline."""
    return {
        "id": s.id,
        "number": s.number,
        "title": s.title,
        "label": s.label,
        "level": s.level,
        "start": s.start,
        "end": s.end,
        "path": list(s.path),
        "parent": s.parent,
    }


def document_json(doc: Document) -> dict[str, Any]:
    """A whole document: metadata, cleaned text (all offsets refer to it) and outline."""
    return {**doc.meta(), "text": doc.text, "outline": [section_json(s) for s in doc.sections]}


def to_filters(f: FiltersIn | None) -> Filters | None:
    """API filters -> retrieval filters."""
    return None if f is None else Filters(region=f.region, year=f.year, doc_id=f.doc_id)


def server_timing(timings_ms: dict[str, float]) -> str:
    """A Server-Timing header value, so browser dev tools show the stages."""
    return ", ".join(f"{name};dur={ms:.1f}" for name, ms in timings_ms.items())
