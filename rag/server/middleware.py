"""What every request passes before the app: the refusals (header and body size, API key, rate
limit), an answer slot for the routes that run the model, and at the response's start the
Server-Timing header, the metrics and the log line."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.config import Settings
from rag.errors import OverloadedError
from rag.server.guards import (
    ANSWER_PATHS,
    AnswerGate,
    RateLimiter,
    api_key_problem,
    body_limit,
    needs_guard,
)
from rag.server.http_errors import error_json, error_response
from rag.server.telemetry import Metrics

logger = logging.getLogger(__name__)


def _route_of(request: Request) -> str:
    """The matched route's template: the metrics label must not grow with every id asked for."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestCheck:
    """A refusal for oversized headers or body, a missing key or too many requests; else None.

    The key is checked before the rate limit: a request without a valid key never uses up
    a client's quota. The client is the connecting address, or the address a trusted proxy
    (setting trusted_proxies) forwarded; X-Forwarded-For from anyone else is ignored."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_limit_per_minute)

    async def __call__(self, request: Request, path: str) -> Response | None:
        settings, limiter = self.settings, self.limiter
        header_bytes = sum(len(name) + len(value) for name, value in request.headers.raw)
        if header_bytes > settings.max_header_bytes:
            return error_json(
                431,
                f"request headers must be at most {settings.max_header_bytes} bytes "
                f"(setting max_header_bytes); got {header_bytes}",
                "headers_too_large",
            )
        length = request.headers.get("content-length")
        most = body_limit(settings, request.method, path)
        if length is not None and (not length.isdigit() or int(length) > most):
            return error_json(413, f"request body must be at most {most} bytes", "too_large")
        if not needs_guard(path, settings.public_docs) or request.method == "OPTIONS":
            return None
        problem = api_key_problem(settings.api_key, request.headers.get("authorization"))
        if problem:
            return error_json(401, problem, "unauthorized", {"WWW-Authenticate": "Bearer"})
        client = request.client.host if request.client else "unknown"
        wait = limiter.retry_after(client)
        if wait:
            return error_json(
                429,
                f"too many requests: at most {limiter.per_minute} per minute per client "
                f"(setting rate_limit_per_minute); try again in {wait:.0f} s",
                "rate_limited",
                {"Retry-After": str(max(1, round(wait)))},
            )
        return None


class Guard:
    """Pure ASGI middleware around every request: the refusals of `check` (size, key, rate),
    an answer slot for ANSWER_PATHS (503 when none frees in time), a JSON 500 for anything
    unhandled, and the Server-Timing header, metrics and log line at the response's start.

    The slot is given back when the response starts: a streamed answer is computed before its
    first byte, and its pieces then go out without holding one. Plain ASGI, not
    BaseHTTPMiddleware: no extra task and stream per request, so shedding stays cheap."""

    def __init__(
        self,
        app: ASGIApp,
        check: Callable[[Request, str], Awaitable[Response | None]],
        gate: AnswerGate,
        metrics: Metrics,
    ) -> None:
        self.app = app
        self.check = check
        self.gate = gate
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        request = Request(scope)
        path: str = scope["path"]
        held = False
        started = False

        async def timed(message: Message) -> None:
            nonlocal held, started
            if message["type"] == "http.response.start" and not started:
                started = True
                if held:
                    held = False
                    self.gate.release()
                seconds = time.perf_counter() - began
                headers = MutableHeaders(scope=message)
                total = f"app;dur={seconds * 1000:.1f}"
                stages = headers.get("server-timing")
                headers["Server-Timing"] = f"{stages}, {total}" if stages else total
                status: int = message["status"]
                self.metrics.observe_request(scope["method"], _route_of(request), status, seconds)
                client = scope["client"][0] if scope.get("client") else "-"
                logger.info(
                    "%s %s %s %d %.1fms", client, scope["method"], path, status, seconds * 1000
                )
            await send(message)

        try:
            refusal = await self.check(request, path)
            if refusal is not None:
                await refusal(scope, receive, timed)
                return
            if path in ANSWER_PATHS:
                await self.gate.acquire()
                held = True
            await self.app(scope, receive, timed)
        except OverloadedError as exc:
            await error_response(exc)(scope, receive, timed)
        except Exception:
            logger.exception("unhandled error on %s %s", scope["method"], path)
            if not started:
                internal = error_json(
                    500, "internal error; the server log has the details", "internal"
                )
                await internal(scope, receive, timed)
        finally:
            if held:
                self.gate.release()
