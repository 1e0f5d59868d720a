"""Request guards of the API: API key, per-client rate limit, body limit for chunked uploads."""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WINDOW_SECONDS = 60.0


def needs_guard(path: str) -> bool:
    """API paths carry the key check and the rate limit; the page, docs and health do not."""
    return (path.startswith(("/api/", "/v1/"))) and path != "/api/health"


def api_key_problem(expected: str, authorization: str | None) -> str | None:
    """Why the Authorization header does not carry the configured key, or None when it does."""
    if not expected:
        return None
    if not authorization:
        return "this server requires an API key: send the header 'Authorization: Bearer <key>'"
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "the Authorization header must have the form 'Bearer <key>'"
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        return "the API key in the Authorization header is not valid"
    return None


class RateLimiter:
    """At most `per_minute` requests per client in any sliding 60-second window; 0 disables it."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 0:
            raise ValueError(f"per_minute must be 0 (off) or positive; got {per_minute}")
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """0 when the request may go ahead (and is counted), else seconds until it may."""
        if self.per_minute == 0:
            return 0.0
        now = self._clock()
        with self._lock:
            stamps = self._seen.setdefault(client, deque())
            while stamps and now - stamps[0] >= WINDOW_SECONDS:
                stamps.popleft()
            if len(stamps) >= self.per_minute:
                return max(WINDOW_SECONDS - (now - stamps[0]), 0.001)
            stamps.append(now)
            if len(self._seen) > 10_000:
                # forget idle clients so a scan of many addresses cannot grow memory without bound
                for name in [c for c, s in self._seen.items() if not s or now - s[-1] > 60]:
                    del self._seen[name]
            return 0.0


class BodyTooLarge(HTTPException):
    """A request body that grew past the limit while it was read (no Content-Length given)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body must be at most {limit} bytes")


class BodyLimit:
    """ASGI middleware counting body bytes as they arrive, for chunked requests."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)
