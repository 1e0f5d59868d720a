"""Export: POST /api/export?format=md|docx turns a conversation into a file download."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from rag.server.export import MEDIA_TYPES, Conversation, Format, filename, render

router = APIRouter(prefix="/api", tags=["导出"])


def content_disposition(name: str, fmt: Format) -> str:
    """An attachment named `name` (RFC 6266: an ASCII fallback and the UTF-8 name)."""
    return f"attachment; filename=\"conversation.{fmt}\"; filename*=UTF-8''{quote(name)}"


@router.post(
    "/export",
    summary="导出对话(Markdown 或 Word)",
    response_class=Response,
    responses={
        200: {
            "content": {MEDIA_TYPES["md"]: {}, MEDIA_TYPES["docx"]: {}},
            "description": "文件下载(Content-Disposition: attachment)",
        }
    },
)
async def export(
    body: Conversation,
    format: Annotated[Format, Query(description="md = Markdown, docx = Word")] = "md",
) -> Response:
    """The conversation as a file: each question, its answer and the answer's citations
    (title › section path, and the quoted text)."""
    data = await run_in_threadpool(render, body, format)
    return Response(
        data,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": content_disposition(filename(body, format), format)},
    )
