"""Request bodies of the HTTP API and the JSON shapes of its answers, passages and documents."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationInfo, field_validator

from rag.records import Answer, Citation, Document, Hit, Section
from rag.retrieval.retrieve import Filters
from rag.service import RagService, Turn

EXAMPLE_QUESTION = "陕西省2022年技术合同成交额目标是多少?"


def unicode_problem(value: object) -> str | None:
    """Why a decoded JSON value holds text no response could carry (a lone surrogate such as
    \\ud800, which JSON escapes can express and UTF-8 cannot), or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"must be valid Unicode text; got a lone surrogate at character {exc.start}"
        return None
    if isinstance(value, list | tuple):
        return next((p for p in map(unicode_problem, value) if p), None)
    return None


# an integer field of a strict body: takes 5.0 as JSON Schema's "integer" does; the body's
# INTEGERS lists it so true and "5" are still refused (pydantic's lax int takes both)
JsonInt = Annotated[int, Strict(False)]


class BodyIn(BaseModel):
    """Base of every request body: types as the schema states them (strict: no 0 for false, no
    false for 0, no 5 for "5"), and each text field valid Unicode."""

    model_config = ConfigDict(strict=True)
    INTEGERS: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _json_integer(cls, value: object, info: ValidationInfo) -> object:
        if info.field_name in cls.INTEGERS and isinstance(value, bool | str):
            raise ValueError(f"must be an integer; got {type(value).__name__}")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _valid_unicode(cls, value: object) -> object:
        problem = unicode_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class FiltersIn(BodyIn):
    """Optional restrictions of an /api/ask or /api/search request."""

    model_config = ConfigDict(extra="forbid")
    INTEGERS = frozenset({"year"})
    region: str | None = Field(None, max_length=20, description="地区", examples=["陕西省"])
    year: JsonInt | None = Field(None, ge=1949, le=2100, description="计划年份", examples=[2022])
    doc_id: str | None = Field(None, max_length=200, description="只在这份文档中查找")


class TurnIn(BodyIn):
    """A previous exchange, for follow-up questions such as 「那陕西呢?」."""

    model_config = ConfigDict(extra="ignore")
    question: str = Field(max_length=2000, examples=["安徽2021年新增多少家省级科技特派员工作站?"])
    answer: str = Field("", max_length=20000)


class AskIn(BodyIn):
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
    INTEGERS = frozenset({"top_k"})
    question: str = Field(description="问题(中文)", examples=[EXAMPLE_QUESTION])
    top_k: JsonInt | None = Field(None, ge=1, le=50, description="检索段落数")
    filters: FiltersIn | None = None
    history: list[TurnIn] = Field(
        default_factory=list, max_length=50, description="本次对话之前的问答,用于追问"
    )
    kbs: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        None, max_length=10, description="在哪些知识库中回答(默认设置 kb,即 plans);多个时合并检索"
    )

    def turns(self) -> list[Turn]:
        """The history as service turns."""
        return [Turn(t.question, t.answer) for t in self.history]


class CitationIn(BodyIn):
    """A citation as the page sends it back with feedback."""

    model_config = ConfigDict(extra="ignore")
    INTEGERS = frozenset({"start", "end"})
    doc_id: str = Field("", max_length=200)
    title: str = Field("", max_length=500)
    section_path: list[str] = Field(default_factory=list, max_length=20)
    start: JsonInt = Field(0, ge=0)
    end: JsonInt = Field(0, ge=0)
    quote: str = Field("", max_length=5000)


class FeedbackIn(BodyIn):
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


class ErrorBody(BaseModel):
    """What went wrong: the rule broken and the value received, never a stack trace."""

    type: str = Field(description="错误类别", examples=["InputError"])
    message: str = Field(description="说明(违反的规则与收到的值)")
    param: str | None = Field(None, description="OpenAI 兼容:出错的参数")
    code: str | None = Field(None, description="OpenAI 兼容:错误代码", examples=["model_not_found"])


class ErrorOut(BaseModel):
    """Every error response: `{"error": {"type", "message"}}`."""

    error: ErrorBody


def _error_response(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# the errors any route may answer with, declared so the schema covers every response
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error_response("请求不合规则(说明违反的规则与收到的值)"),
    401: _error_response("设置了 api_key 时,缺少或错误的 Authorization: Bearer <key>"),
    413: _error_response("请求体超过 max_body_bytes"),
    422: _error_response("请求字段不合规则"),
    429: _error_response("超过 rate_limit_per_minute(带 Retry-After)"),
    431: _error_response("请求头超过 max_header_bytes"),
    503: _error_response(
        "暂时无法服务:繁忙(带 Retry-After)、索引或模型不可用、反馈数据库被锁/损坏/只读"
    ),
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {404: _error_response("不存在")}


class CitationOut(BaseModel):
    """A verbatim quote: `quote` is the document's text between `start` and `end`."""

    doc_id: str
    source: str
    title: str
    section_path: list[str]
    start: int
    end: int
    quote: str
    period: str = ""


class ScoresOut(BaseModel):
    """A passage's score breakdown."""

    bm25: float
    dense: float
    fused: float
    bm25_rank: int | None
    dense_rank: int | None


class PassageOut(BaseModel):
    """A ranked passage."""

    rank: int
    chunk_id: str
    doc_id: str
    source: str
    title: str
    section_path: list[str]
    start: int
    end: int
    text: str
    scores: ScoresOut


class RowOut(BaseModel):
    """One row of a comparison: its label, value and citation number (1-based)."""

    label: str
    value: str
    citation: int


class AnswerOut(BaseModel):
    """The /api/ask response."""

    question: str = Field(description="服务端理解后的完整问题(追问时已补全)")
    answer: str
    refused: bool
    type: str = Field(description="问题类型", examples=["numeric"])
    citations: list[CitationOut]
    rows: list[RowOut]
    passages: list[PassageOut]
    timings_ms: dict[str, float]


class SearchOut(BaseModel):
    """The /api/search response."""

    query: str
    passages: list[PassageOut]
    timings_ms: dict[str, float]


class DocumentMetaOut(BaseModel):
    """A document's metadata."""

    doc_id: str
    source: str
    title: str
    issuer: str | None
    region: str | None
    region_level: str | None
    year: int | None
    published: str | None
    doc_number: str | None
    chars: int
    sections: int


class DocumentsOut(BaseModel):
    """The /api/documents response."""

    documents: list[DocumentMetaOut]


class SectionOut(BaseModel):
    """One node of a document's outline."""

    id: str
    number: str
    title: str
    label: str
    level: int
    start: int
    end: int
    path: list[str]
    parent: str | None


class DocumentOut(DocumentMetaOut):
    """One document: metadata, the cleaned text all offsets refer to, and its outline."""

    text: str
    outline: list[SectionOut]


class HealthOut(BaseModel):
    """Liveness and what is loaded."""

    status: str
    version: str
    model: str | None
    documents: int
    chunks: int
    auth: bool
    index: str = Field(description="digest of the index and answering settings (rag.server.client)")


class FeedbackOut(BaseModel):
    """A stored rating."""

    id: int
    created: str
    rating: Literal["up", "down"]


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
