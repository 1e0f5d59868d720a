"""Admin view: GET /api/admin/feedback (ratings with their answers) and GET /api/admin/stats
(questions, refusals and ratings per day), plus the question log every answer route records to.

Both routes are under /api: when an api_key is set they need it like every other API route."""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from rag.config import Settings
from rag.records import Answer
from rag.server.deps import FeedbackDep
from rag.server.feedback import RATINGS, FeedbackStore
from rag.server.question_log import QuestionLog

router = APIRouter(prefix="/api/admin", tags=["管理"])
_CREATE = threading.Lock()


async def get_question_log(request: Request) -> QuestionLog:
    """The app's question log, made on first use from its feedback store and settings (a
    coroutine, as in rag/server/deps.py: creating the log opens nothing, so it never blocks)."""
    state = request.app.state
    log: QuestionLog | None = getattr(state, "question_log", None)
    if log is None:
        with _CREATE:
            log = getattr(state, "question_log", None)
            if log is None:
                settings: Settings = state.settings
                store: FeedbackStore = state.feedback
                log = QuestionLog(store, settings.log_questions, settings.kb)
                state.question_log = log
    return log


QuestionLogDep = Annotated[QuestionLog, Depends(get_question_log)]


def record(log: QuestionLog, answer: Answer, kbs: list[str] | None, endpoint: str) -> None:
    """Log one answered question (never raises, never waits: see QuestionLog)."""
    log.record(
        answer.question,
        answer.refused,
        answer.qtype,
        kbs,
        answer.timings_ms.get("total"),
        endpoint,
    )


class FeedbackItemOut(BaseModel):
    """A stored rating with what it rated."""

    id: int
    created: str = Field(description="UTC 时间(ISO 8601)")
    rating: Literal["up", "down"]
    question: str
    answer: str
    citations: list[dict[str, Any]] = Field(description="评价时页面给出的引用")
    comment: str


class FeedbackPageOut(BaseModel):
    """One page of ratings, newest first."""

    total: int = Field(description="符合筛选条件的评价数")
    counts: dict[str, int] = Field(description="全部评价中 up / down 各多少")
    limit: int
    offset: int
    items: list[FeedbackItemOut]


class DayOut(BaseModel):
    """One day's counts."""

    date: str = Field(examples=["2026-11-26"])
    questions: int
    refusals: int
    up: int
    down: int


class StatsOut(BaseModel):
    """Counts per day, oldest first, every day present."""

    days: int
    utc_offset_minutes: int
    daily: list[DayOut]
    totals: dict[str, int]


@router.get(
    "/feedback",
    summary="评价列表(可按赞/踩筛选)",
    response_model=None,
    responses={200: {"model": FeedbackPageOut}},
)
async def feedback_list(
    store: FeedbackDep,
    rating: Annotated[Literal["up", "down"] | None, Query(description="只看赞或踩")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Ratings newest first, each with its question, answer, the citations given and the
    comment."""
    wanted = RATINGS[rating] if rating else None
    total, rows = await run_in_threadpool(store.page, wanted, limit, offset)
    counts = await run_in_threadpool(store.rating_counts)
    return {
        "total": total,
        "counts": counts,
        "limit": limit,
        "offset": offset,
        "items": [
            {
                "id": f.id,
                "created": f.created,
                "rating": "up" if f.rating == 1 else "down",
                "question": f.question,
                "answer": f.answer,
                "citations": list(f.citations),
                "comment": f.comment,
            }
            for f in rows
        ],
    }


@router.get(
    "/stats",
    summary="每日提问、拒答与评价数",
    response_model=None,
    responses={200: {"model": StatsOut}},
)
async def stats(
    store: FeedbackDep,
    log: QuestionLogDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    utc_offset_minutes: Annotated[
        int, Query(ge=-720, le=840, description="按哪个时区分日:东八区为 480;默认 UTC")
    ] = 0,
) -> dict[str, Any]:
    """Per day of the last `days`: questions answered, of them refused, 👍 and 👎."""
    # what was just asked is counted: the log's queue is written first (at most a moment)
    await run_in_threadpool(log.flush, 1.0)
    daily = await run_in_threadpool(store.daily, days, utc_offset_minutes)
    totals = {k: sum(d[k] for d in daily) for k in ("questions", "refusals", "up", "down")}
    return {
        "days": days,
        "utc_offset_minutes": utc_offset_minutes,
        "daily": daily,
        "totals": totals,
    }
