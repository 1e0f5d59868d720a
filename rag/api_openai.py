"""OpenAI-compatible chat: POST /v1/chat/completions (plain and streamed) and GET /v1/models.

The last user message is the question and earlier user/assistant pairs are the conversation, so
follow-ups work as on the chat page. The answer text carries [n] markers and a source list; the
structured citations travel in the extra `citations` field.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from rag.deps import MetricsDep, ServiceDep
from rag.errors import InputError
from rag.schemas import EXAMPLE_QUESTION, FiltersIn, citation_json, server_timing, to_filters
from rag.service import Turn, rewrite_followup
from rag.streaming import PIECE_PAUSE_S, SSE_HEADERS, pieces, sse
from rag.types import Answer

MODEL_ID = "plan-rag"
router = APIRouter(prefix="/v1", tags=["OpenAI 兼容接口"])
_MARKER = re.compile(r"【(\d+)】")


class ContentPart(BaseModel):
    """A part of a multi-part message; only text parts carry a question."""

    model_config = ConfigDict(extra="ignore")
    type: str = "text"
    text: str | None = None


class ChatMessage(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text, parts joined."""
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatIn(BaseModel):
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
    model: str = Field(MODEL_ID, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    top_k: int | None = Field(None, ge=1, le=50, description="扩展参数:检索段落数")
    filters: FiltersIn | None = Field(None, description="扩展参数:地区/年份/文档过滤")


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


def marked_text(answer: Answer) -> str:
    """The answer with [n] markers (every citation marked once at least) and a source list."""
    body = _MARKER.sub(r"[\1]", answer.answer)
    if answer.citations and not _MARKER.search(answer.answer):
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
            lines.append(f"- {hit.chunk.source} › {' › '.join(hit.chunk.section_path)}:{snippet}")
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
    for piece in pieces(text):
        yield sse(None, chunk({"content": piece}))
        await asyncio.sleep(PIECE_PAUSE_S)
    yield sse(None, {**chunk({}, "stop"), **extras(answer)})
    yield sse(None, "[DONE]")


@router.post(
    "/chat/completions",
    summary="OpenAI 兼容的对话接口",
    responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}},
    response_model=None,
)
async def chat_completions(
    body: ChatIn, svc: ServiceDep, metrics: MetricsDep, response: Response
) -> dict[str, Any] | StreamingResponse:
    """Answer the last user message; stream=true sends chat.completion.chunk events."""
    answer = await _answer(body, svc, metrics)
    text = marked_text(answer)
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


@router.get("/models", summary="可用模型列表")
def models() -> dict[str, Any]:
    """The one model this server offers."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "plan-rag"}],
    }
