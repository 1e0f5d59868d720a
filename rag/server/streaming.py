"""Server-Sent Events framing and the split of a finished answer into streamed pieces."""

from __future__ import annotations

import json
import re
from typing import Any

# the answer is computed whole (it must be checked against its quotes before anyone sees it), so
# there is nothing to wait for once it exists: both streams (/api/ask/stream and the OpenAI one)
# send it at once, in pieces that keep its lines and citation markers whole, with no pause.
_ANSWER_PIECE = re.compile(r"【\d+】|\[\d+\]|\n|[^【\[\n]+|.", re.S)
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def answer_pieces(text: str) -> list[str]:
    """`text` as runs of text, line breaks and whole citation markers that join back to it."""
    return _ANSWER_PIECE.findall(text)


def sse(event: str | None, data: Any) -> str:
    """One SSE message; `data` is sent as compact JSON unless it is already a string."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n"
