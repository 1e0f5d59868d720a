"""Request guards of the API: API key, per-client rate limit, body limit, answer slots, proxies."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.config import Settings
from rag.errors import InputError, OverloadedError

WINDOW_SECONDS = 60.0
MAX_CLIENTS = 10_000
# the routes that run the embedding model: each holds an answer slot while it computes
ANSWER_PATHS = frozenset({"/api/ask", "/api/ask/stream", "/api/search", "/v1/chat/completions"})
OPS_PATHS = frozenset({"/docs", "/openapi.json", "/metrics"})


def needs_guard(path: str, public_docs: bool = True) -> bool:
    """API paths carry the key check and the rate limit; the page and health never do; /docs,
    /openapi.json and /metrics do unless `public_docs`."""
    if path in OPS_PATHS:
        return not public_docs
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


def trusted_networks(
    entries: Sequence[str],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The setting trusted_proxies as networks, or an InputError naming the entry that is not
    an address or network (uvicorn would silently treat it as a literal that never matches)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise InputError(
                "trusted_proxies must list IP addresses or networks such as 10.0.0.0/8; "
                f"got {entry!r}"
            ) from exc
    return networks


class RateLimiter:
    """At most `per_minute` requests per client per minute, as a token bucket (a burst of
    `per_minute`, refilled at per_minute/60 a second); 0 disables it.

    O(1) per request: each client is one (tokens, stamp) pair in an OrderedDict kept in order of
    last use; a client idle long enough to have a full bucket is the same as an unknown one, so
    the least recently used entry is dropped when it is that old, or when more than
    `max_clients` are tracked."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        if per_minute < 0:
            raise ValueError(f"per_minute must be 0 (off) or positive; got {per_minute}")
        if max_clients < 1:
            raise ValueError(f"max_clients must be positive; got {max_clients}")
        self.per_minute = per_minute
        self.max_clients = max_clients
        self._rate = per_minute / WINDOW_SECONDS
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def retry_after(self, client: str) -> float:
        """0 when the request may go ahead (and is counted), else seconds until it may."""
        if self.per_minute == 0:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, stamp = self._buckets.pop(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - stamp) * self._rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return max((1.0 - tokens) / self._rate, 0.001)
            self._buckets[client] = (tokens - 1.0, now)
            self._forget_oldest(now)
            return 0.0

    def _forget_oldest(self, now: float) -> None:
        """Drop at most two least recently used clients: those whose buckets are full again,
        or one past max_clients (amortised O(1): each request adds at most one entry)."""
        for _ in range(2):
            oldest, (tokens, stamp) = next(iter(self._buckets.items()))
            full = tokens + (now - stamp) * self._rate >= self.per_minute
            if full or len(self._buckets) > self.max_clients:
                del self._buckets[oldest]
            else:
                return


class AnswerGate:
    """At most `max_in_flight` questions computed at once; a question that finds no slot within
    `queue_wait` seconds is refused with OverloadedError (503 + Retry-After) instead of queueing
    into multi-second latency."""

    def __init__(self, max_in_flight: int, queue_wait: float) -> None:
        if max_in_flight < 1:
            raise InputError(f"max_in_flight must be at least 1; got {max_in_flight}")
        if queue_wait < 0:
            raise InputError(f"queue_wait_seconds must be 0 or more; got {queue_wait}")
        self.max_in_flight = max_in_flight
        self.queue_wait = queue_wait
        self._free = asyncio.Semaphore(max_in_flight)
        self.busy = 0

    async def acquire(self) -> None:
        """Take a slot, waiting at most queue_wait seconds, or raise OverloadedError."""
        if self._free.locked():
            try:
                await asyncio.wait_for(self._free.acquire(), self.queue_wait)
            except TimeoutError:
                raise OverloadedError(
                    "服务繁忙,请稍后重试。Server busy: all "
                    f"{self.max_in_flight} answer slots are taken (setting max_in_flight) and "
                    f"none freed within {self.queue_wait:g} s (setting queue_wait_seconds); "
                    "retry after 1 s",
                    retry_after=1,
                ) from None
        else:
            await self._free.acquire()  # a free slot: returns at once
        self.busy += 1

    def release(self) -> None:
        """Give back a slot taken by acquire()."""
        self.busy -= 1
        self._free.release()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the block, or raise OverloadedError."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()


class BodyTooLarge(HTTPException):
    """A request body that grew past the limit while it was read (no Content-Length given)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body must be at most {limit} bytes")


UPLOAD_PATH = "/api/documents"
_MULTIPART_OVERHEAD = 64 * 1024


def body_limit(settings: Settings, method: str, path: str) -> int:
    """Bytes a request body may have: an upload carries files (max_upload_files, each within
    ingest_max_file_bytes), every other request max_body_bytes."""
    if method == "POST" and path == UPLOAD_PATH:
        return settings.max_upload_files * settings.ingest_max_file_bytes + _MULTIPART_OVERHEAD
    return settings.max_body_bytes


class BodyLimit:
    """ASGI middleware counting body bytes as they arrive, for chunked requests."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0
        limit = body_limit(self.settings, scope["method"], scope["path"])

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)
