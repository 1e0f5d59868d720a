"""Feedback: POST /api/feedback stores a rating of an answer in SQLite."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from rag.server.deps import FeedbackDep, MetricsDep
from rag.server.schemas import FeedbackIn, FeedbackOut

router = APIRouter(prefix="/api", tags=["反馈"])


@router.post(
    "/feedback",
    summary="对答案评价(赞/踩,可附意见)",
    status_code=201,
    response_model=None,
    responses={201: {"model": FeedbackOut}},
)
async def feedback(body: FeedbackIn, store: FeedbackDep, metrics: MetricsDep) -> dict[str, Any]:
    """Store the question, answer, citations, rating and comment with a UTC timestamp."""
    stored = await run_in_threadpool(
        store.add,
        body.question,
        body.answer,
        [c.model_dump() for c in body.citations],
        1 if body.rating == "up" else -1,
        body.comment.strip(),
    )
    metrics.observe_feedback(body.rating)
    return {"id": stored.id, "created": stored.created, "rating": body.rating}
