"""OpenAI-compatible chat: POST /v1/chat/completions (plain and streamed) and GET /v1/models.

The last user message is the question and earlier user/assistant pairs are the conversation, so
follow-ups work as on the chat page. The answer text carries [n] markers and a source list; the
structured citations travel in the extra `citations` field.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from rag.errors import InputError, ModelNotFoundError
from rag.records import CITATION_MARK, Answer
from rag.server.deps import MetricsDep, ServiceDep
from rag.server.routes_admin import QuestionLogDep, record
from rag.server.schemas import (
    EXAMPLE_QUESTION,
    NOT_FOUND_RESPONSE,
    BodyIn,
    CitationOut,
    FiltersIn,
    JsonInt,
    citation_json,
    server_timing,
    to_filters,
)
from rag.server.streaming import SSE_HEADERS, answer_pieces, sse
from rag.service import Turn, rewrite_followup

MODEL_ID = "plan-rag"
# every model name this server answers to, as GET /v1/models lists them
SERVED_MODELS = (MODEL_ID,)
router = APIRouter(prefix="/v1", tags=["OpenAI 兼容接口"])


class ContentPart(BodyIn):
    """A part of a multi-part message; only text parts carry a question."""

    model_config = ConfigDict(extra="ignore")
    type: str = "text"
    text: str | None = None


class ChatMessage(BodyIn):
    """One message of the conversation."""

    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text, parts joined."""
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatIn(BodyIn):
    """Body of POST /v1/chat/completions; sampling parameters are accepted and ignored."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL_ID,
                    "messages": [{"role": "user", "content": EXAMPLE_QUESTION}],
                },
                {
                    "model": MODEL_ID,
                    "stream": True,
                    "messages": [
                        {"role": "user", "content": "安徽2021年新增多少家省级科技特派员工作站?"},
                        {"role": "assistant", "content": "100家[1]"},
                        {"role": "user", "content": "那陕西呢?"},
                    ],
                },
            ]
        },
    )
    INTEGERS = frozenset({"top_k"})
    model: str = Field(MODEL_ID, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    top_k: JsonInt | None = Field(None, ge=1, le=50, description="扩展参数:检索段落数")
    filters: FiltersIn | None = Field(None, description="扩展参数:地区/年份/文档过滤")


class NumberedCitationOut(CitationOut):
    """A citation with the number of its [n] marker."""

    index: int


class AssistantMessageOut(BaseModel):
    """The answer as an assistant message."""

    role: Literal["assistant"]
    content: str


class ChoiceOut(BaseModel):
    """The one choice of a completion."""

    index: int
    message: AssistantMessageOut
    finish_reason: str
    logprobs: None


class UsageOut(BaseModel):
    """Sizes in characters (there is no generative model whose tokens could be counted)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletionOut(BaseModel):
    """A chat.completion, with the extra fields citations, refused, question and timings_ms."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[ChoiceOut]
    usage: UsageOut
    citations: list[NumberedCitationOut]
    refused: bool
    question: str = Field(description="服务端理解后的完整问题")
    timings_ms: dict[str, float]


class ModelOut(BaseModel):
    """A model this server serves."""

    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelsOut(BaseModel):
    """GET /v1/models."""

    object: Literal["list"]
    data: list[ModelOut]


def model_json(model_id: str) -> dict[str, Any]:
    """One served model as OpenAI lists it."""
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "plan-rag"}


def check_model(name: str) -> str:
    """The name, or ModelNotFoundError (OpenAI's 404 model_not_found) when it is not served."""
    if name not in SERVED_MODELS:
        raise ModelNotFoundError(
            f"The model {name[:200]!r} does not exist on this server; it serves "
            f"{', '.join(SERVED_MODELS)} (GET /v1/models)"
        )
    return name


def question_and_history(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last user message and the user/assistant pairs before it."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        raise InputError("messages must contain at least one message with role 'user'")
    history: list[Turn] = []
    pending: str | None = None
    for message in messages[:last_user]:
        if message.role == "user":
            if pending is not None:
                history.append(Turn(pending))
            pending = message.text()
        elif message.role == "assistant" and pending is not None:
            history.append(Turn(pending, message.text()))
            pending = None
    if pending is not None:
        history.append(Turn(pending))
    return messages[last_user].text(), history


def marked_text(answer: Answer, titles: Mapping[str, str] | None = None) -> str:
    """The answer with [n] markers (every citation marked once at least) and a source list;
    a refusal's related reading names each document by its title (`titles` by doc_id)."""
    body = CITATION_MARK.sub(r"[\1]", answer.answer)
    if answer.citations and not CITATION_MARK.search(answer.answer):
        body += "".join(f"[{n}]" for n in range(1, len(answer.citations) + 1))
    lines = [body]
    if answer.citations:
        lines.append("")
        lines.append("来源:")
        for n, c in enumerate(answer.citations, 1):
            lines.append(f"[{n}] {c.title} › {' › '.join(c.section_path)}:「{c.quote}」")
    elif answer.refused and answer.hits:
        lines.append("")
        lines.append("相关段落(仅供参考):")
        for hit in answer.hits[:3]:
            snippet = hit.chunk.text.replace("\n", " ")
            snippet = snippet[:80] + ("…" if len(snippet) > 80 else "")
            title = (titles or {}).get(hit.chunk.doc_id, hit.chunk.source)
            lines.append(f"- {title} › {' › '.join(hit.chunk.section_path)}:{snippet}")
    return "\n".join(lines)


def extras(answer: Answer) -> dict[str, Any]:
    """The fields an OpenAI response does not have: citations, refusal, resolved question."""
    return {
        "citations": [{"index": n, **citation_json(c)} for n, c in enumerate(answer.citations, 1)],
        "refused": answer.refused,
        "question": answer.question,
        "timings_ms": answer.timings_ms,
    }


async def _answer(body: ChatIn, svc: ServiceDep, metrics: MetricsDep) -> Answer:
    question, raw = question_and_history(body.messages)
    # a client sends what the user typed; earlier follow-ups are resolved in order, as the chat
    # page does with the `question` each answer returns
    documents = svc.index.documents
    history: list[Turn] = []
    for turn in raw:
        history.append(Turn(rewrite_followup(turn.question, history, documents), turn.answer))
    answer = await run_in_threadpool(
        svc.ask, question, body.top_k, to_filters(body.filters), history
    )
    metrics.observe_answer(answer.qtype, answer.refused)
    return answer


async def chunk_events(
    answer: Answer, text: str, completion_id: str, model: str
) -> AsyncIterator[str]:
    """chat.completion.chunk messages: role, content pieces, a final one with citations, [DONE]."""
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield sse(None, chunk({"role": "assistant", "content": ""}))
    # the whole answer exists already: every piece goes out at once, with no pause
    for piece in answer_pieces(text):
        yield sse(None, chunk({"content": piece}))
    yield sse(None, {**chunk({}, "stop"), **extras(answer)})
    yield sse(None, "[DONE]")


@router.post(
    "/chat/completions",
    summary="OpenAI 兼容的对话接口",
    responses={
        200: {
            "model": ChatCompletionOut,
            "content": {"text/event-stream": {}},
            "description": "chat.completion;stream=true 时为 chat.completion.chunk 事件流,"
            "以 data: [DONE] 结束",
        },
        **NOT_FOUND_RESPONSE,
    },
    response_model=None,
)
async def chat_completions(
    body: ChatIn,
    svc: ServiceDep,
    metrics: MetricsDep,
    response: Response,
    questions: QuestionLogDep,
) -> dict[str, Any] | StreamingResponse:
    """Answer the last user message; stream=true sends chat.completion.chunk events. A model
    name this server does not serve is OpenAI's 404 `model_not_found`."""
    check_model(body.model)
    answer = await _answer(body, svc, metrics)
    record(questions, answer, [svc.settings.kb], "v1/chat/completions")
    documents = svc.index.documents
    text = marked_text(answer, {d: doc.title for d, doc in documents.items()})
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    timing = server_timing(answer.timings_ms)
    if body.stream:
        return StreamingResponse(
            chunk_events(answer, text, completion_id, body.model),
            media_type="text/event-stream",
            headers={**SSE_HEADERS, "Server-Timing": timing},
        )
    response.headers["Server-Timing"] = timing
    asked = sum(len(m.text()) for m in body.messages)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        # characters, not tokens: there is no generative model whose tokens could be counted
        "usage": {
            "prompt_tokens": asked,
            "completion_tokens": len(text),
            "total_tokens": asked + len(text),
        },
        **extras(answer),
    }


@router.get(
    "/models", summary="可用模型列表", response_model=None, responses={200: {"model": ModelsOut}}
)
def models() -> dict[str, Any]:
    """Every model name this server answers to."""
    return {"object": "list", "data": [model_json(m) for m in SERVED_MODELS]}


@router.get(
    "/models/{model}",
    summary="单个模型",
    response_model=None,
    responses={200: {"model": ModelOut}, **NOT_FOUND_RESPONSE},
)
def model(model: Annotated[str, Path(max_length=200, examples=[MODEL_ID])]) -> dict[str, Any]:
    """One served model, or OpenAI's 404 `model_not_found`."""
    return model_json(check_model(model))
