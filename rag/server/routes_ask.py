"""Questions: POST /api/ask, its streamed variant POST /api/ask/stream, and GET /api/search."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from rag.records import Answer
from rag.retrieval.retrieve import Filters
from rag.server.deps import LibraryDep, MetricsDep, ServiceDep
from rag.server.routes_admin import QuestionLogDep, record
from rag.server.schemas import (
    EXAMPLE_QUESTION,
    NOT_FOUND_RESPONSE,
    AnswerOut,
    AskIn,
    SearchOut,
    answer_json,
    citation_json,
    passages_json,
    server_timing,
    to_filters,
)
from rag.server.streaming import SSE_HEADERS, answer_pieces, sse

router = APIRouter(prefix="/api", tags=["问答"])

_STREAM_DOC = """以 Server-Sent Events 流式返回答案。事件依次为:

- `meta`:`{"question", "type", "refused"}`(question 为服务端理解后的完整问题,追问时已补全)
- `token`:`{"text"}`,答案文本的片段(整行文字或整个引用标记【n】),按顺序拼接即为完整答案
- `citations`:`{"citations", "rows", "passages"}`,引用原文、对比表格行与检索段落
- `done`:`{"timings_ms"}`,各阶段耗时

答案先在服务端完整生成并核对引用,生成后立即全部发出(不做定时分段)。
"""


@router.post(
    "/ask",
    summary="提问(一次返回)",
    response_model=None,
    responses={200: {"model": AnswerOut}, **NOT_FOUND_RESPONSE},
)
def ask(
    body: AskIn, library: LibraryDep, metrics: MetricsDep, questions: QuestionLogDep
) -> JSONResponse:
    """Answer a question with verbatim citations, or refuse with related passages."""
    svc = library.services(body.kbs)
    answer = svc.ask(body.question, body.top_k, to_filters(body.filters), body.turns())
    metrics.observe_answer(answer.qtype, answer.refused)
    record(questions, answer, body.kbs, "ask")
    # returned as a response: FastAPI would otherwise walk the whole answer with its
    # jsonable_encoder (~0.5-0.8 ms per answer measured) although it holds JSON types only
    return JSONResponse(
        answer_json(answer, svc), headers={"Server-Timing": server_timing(answer.timings_ms)}
    )


async def answer_events(answer: Answer, payload: dict[str, Any]) -> AsyncIterator[str]:
    """meta, token..., citations, done."""
    yield sse(
        "meta", {"question": answer.question, "type": answer.qtype, "refused": answer.refused}
    )
    # the whole answer exists already: every piece goes out at once, with no pause
    for piece in answer_pieces(answer.answer):
        yield sse("token", {"text": piece})
    yield sse(
        "citations",
        {
            "citations": [citation_json(c) for c in answer.citations],
            "rows": payload["rows"],
            "passages": payload["passages"],
        },
    )
    yield sse("done", {"timings_ms": answer.timings_ms})


@router.post(
    "/ask/stream",
    summary="提问(流式,SSE)",
    description=_STREAM_DOC,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **NOT_FOUND_RESPONSE},
)
async def ask_stream(
    body: AskIn, library: LibraryDep, metrics: MetricsDep, questions: QuestionLogDep
) -> StreamingResponse:
    """The same answer as /api/ask, streamed; errors arrive before the stream starts, as JSON."""
    svc = await run_in_threadpool(library.services, body.kbs)
    answer = await run_in_threadpool(
        svc.ask, body.question, body.top_k, to_filters(body.filters), body.turns()
    )
    metrics.observe_answer(answer.qtype, answer.refused)
    record(questions, answer, body.kbs, "ask/stream")
    payload = await run_in_threadpool(answer_json, answer, svc)
    headers = {**SSE_HEADERS, "Server-Timing": server_timing(answer.timings_ms)}
    return StreamingResponse(
        answer_events(answer, payload), media_type="text/event-stream", headers=headers
    )


@router.get("/ask/limits", summary="提问的输入限制")
def ask_limits(svc: ServiceDep) -> dict[str, Any]:
    """What a question may be: the page announces a longer one instead of cutting it."""
    return {"max_question_chars": svc.settings.max_question_chars}


@router.get(
    "/search",
    summary="检索段落(附得分明细)",
    response_model=None,
    responses={200: {"model": SearchOut}},
)
def search(
    svc: ServiceDep,
    response: Response,
    q: Annotated[str, Query(min_length=1, max_length=2000, examples=[EXAMPLE_QUESTION])],
    top_k: Annotated[int | None, Query(ge=1, le=50)] = None,
    region: Annotated[str | None, Query(max_length=20, examples=["陕西省"])] = None,
    year: Annotated[int | None, Query(ge=1949, le=2100, examples=[2022])] = None,
    doc_id: Annotated[str | None, Query(max_length=200)] = None,
    fusion: Literal["weighted", "rrf", "bm25", "dense"] | None = None,
) -> dict[str, Any]:
    """Ranked passages with their BM25, dense and fused scores."""
    began = time.perf_counter()
    hits = svc.search(q, top_k, Filters(region=region, year=year, doc_id=doc_id), fusion)
    timings = {"search": round((time.perf_counter() - began) * 1000, 2)}
    response.headers["Server-Timing"] = server_timing(timings)
    return {"query": q, "passages": passages_json(hits, svc), "timings_ms": timings}
