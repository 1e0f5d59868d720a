"""HTTP API: create_app(settings) -> FastAPI. The only place errors become HTTP responses."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from rag import __version__
from rag.config import ROOT, Settings
from rag.errors import (
    FeedbackUnavailableError,
    IndexMismatchError,
    IndexMissingError,
    IngestError,
    InputError,
    ModelMissingError,
    ModelNotFoundError,
    NotFoundError,
    OverloadedError,
    RagError,
    WriterBusyError,
)
from rag.kb.jobs import Jobs
from rag.kb.library import Library
from rag.server import routes_admin as api_admin
from rag.server import routes_ask as api_ask
from rag.server import routes_documents as api_documents
from rag.server import routes_export as api_export
from rag.server import routes_feedback as api_feedback
from rag.server import routes_library as api_library
from rag.server import routes_openai as api_openai
from rag.server import routes_targets as api_targets
from rag.server.client import index_identity
from rag.server.deps import MetricsDep, ServiceDep
from rag.server.feedback import FeedbackStore
from rag.server.guards import (
    ANSWER_PATHS,
    AnswerGate,
    BodyLimit,
    RateLimiter,
    api_key_problem,
    body_limit,
    needs_guard,
    trusted_networks,
)
from rag.server.schemas import ERROR_RESPONSES, HealthOut, answer_json
from rag.server.telemetry import CONTENT_TYPE, Metrics
from rag.service import RagService

__all__ = ["answer_json", "create_app", "default_service_factory"]

logger = logging.getLogger(__name__)
WEB_DIR = ROOT / "web"
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
FEEDBACK_DB = "feedback.sqlite3"

_STATUS: dict[type[RagError], int] = {
    InputError: 400,
    NotFoundError: 404,
    IngestError: 422,
    IndexMissingError: 503,
    IndexMismatchError: 503,
    ModelMissingError: 503,
    OverloadedError: 503,
    FeedbackUnavailableError: 503,
    WriterBusyError: 409,
}

_DESCRIPTION = """基于科技工作要点的离线问答:每个答案都附原文引用(文件 › 章节 › 原文)。

- `/api/*`:本系统的接口(提问、流式提问、检索、文档、反馈)。
- `/v1/*`:OpenAI 兼容接口,任何 OpenAI 客户端都可直接使用(`base_url` 指向本服务的 `/v1`)。
- 设置了 `api_key` 时,`/api/*` 与 `/v1/*`(健康检查除外)以及 `/docs`、`/openapi.json`、`/metrics`
  (除非设置 `public_docs`)需带 `Authorization: Bearer <key>`。
- 同时作答的问题数有上限(`max_in_flight`);繁忙时立即返回 503 与 `Retry-After`,请稍后重试。
- 每个响应都带 `Server-Timing` 头;问答响应的 `timings_ms` 给出各阶段耗时(毫秒)。
"""


def _error(
    status: int,
    message: str,
    kind: str,
    headers: Mapping[str, str] | None = None,
    **extra: str,
) -> JSONResponse:
    # a message may quote input (a JSON key in a validation error): a lone surrogate in it must
    # not turn the error into a 500 when the response is encoded
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return JSONResponse(
        {"error": {"type": kind, "message": message, **extra}},
        status_code=status,
        headers=dict(headers) if headers else None,
    )


def error_response(exc: RagError) -> JSONResponse:
    """The one mapping of the system's errors to HTTP: status, body and headers."""
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    if isinstance(exc, FeedbackUnavailableError):
        logger.warning("feedback not stored: %s", exc)
    if isinstance(exc, ModelNotFoundError):
        # OpenAI's shape, which its clients turn into NotFoundError
        return _error(
            status,
            str(exc),
            "invalid_request_error",
            headers,
            param="model",
            code="model_not_found",
        )
    return _error(status, str(exc), type(exc).__name__, headers)


def default_service_factory(settings: Settings) -> RagService:
    """Load the embedding model and the index (built from the seeds when missing or stale)."""
    from embeddings.embedder import load_embedder

    service = RagService(settings, load_embedder(settings))
    service.load_or_build()
    # the first query pays one-off set-up (jieba's dictionary, torch's first pass: ~0.7 s
    # measured): pay it here, not in the first user's answer
    service.search("科技工作要点")
    return service


def _allowed(request: Request) -> list[str]:
    """Every method some route of the app serves at the request's path."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def _route_of(request: Request) -> str:
    """The matched route's template: the metrics label must not grow with every id asked for."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


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
                internal = _error(500, "internal error; the server log has the details", "internal")
                await internal(scope, receive, timed)
        finally:
            if held:
                self.gate.release()


def create_app(
    settings: Settings,
    service: RagService | None = None,
    service_factory: Callable[[Settings], RagService] = default_service_factory,
) -> FastAPI:
    """The FastAPI app; the model and index load once, in lifespan, unless a service is given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = service if service is not None else service_factory(settings)
        app.state.library = Library(settings, app.state.service)
        app.state.jobs = Jobs()
        app.state.started = time.time()
        yield
        app.state.jobs.shutdown()

    proxies = trusted_networks(settings.trusted_proxies)
    gate = AnswerGate(settings.max_in_flight, settings.queue_wait_seconds)
    app = FastAPI(
        title="plan-rag 科技工作要点问答",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.feedback = FeedbackStore(
        settings.data_dir / FEEDBACK_DB, settings.feedback_busy_seconds
    )
    app.state.gate = gate
    limiter = RateLimiter(settings.rate_limit_per_minute)

    # added first = innermost: it sees the body as the endpoint reads it
    app.add_middleware(BodyLimit, settings=settings)

    async def _checked(request: Request, path: str) -> Response | None:
        """A refusal for an oversized body, a missing key or too many requests; else None.

        The key is checked before the rate limit: a request without a valid key never uses up
        a client's quota. The client is the connecting address, or the address a trusted proxy
        (setting trusted_proxies) forwarded; X-Forwarded-For from anyone else is ignored."""
        header_bytes = sum(len(name) + len(value) for name, value in request.headers.raw)
        if header_bytes > settings.max_header_bytes:
            return _error(
                431,
                f"request headers must be at most {settings.max_header_bytes} bytes "
                f"(setting max_header_bytes); got {header_bytes}",
                "headers_too_large",
            )
        length = request.headers.get("content-length")
        most = body_limit(settings, request.method, path)
        if length is not None and (not length.isdigit() or int(length) > most):
            return _error(413, f"request body must be at most {most} bytes", "too_large")
        if not needs_guard(path, settings.public_docs) or request.method == "OPTIONS":
            return None
        problem = api_key_problem(settings.api_key, request.headers.get("authorization"))
        if problem:
            return _error(401, problem, "unauthorized", {"WWW-Authenticate": "Bearer"})
        client = request.client.host if request.client else "unknown"
        wait = limiter.retry_after(client)
        if wait:
            return _error(
                429,
                f"too many requests: at most {limiter.per_minute} per minute per client "
                f"(setting rate_limit_per_minute); try again in {wait:.0f} s",
                "rate_limited",
                {"Retry-After": str(max(1, round(wait)))},
            )
        return None

    app.add_middleware(Guard, check=_checked, gate=gate, metrics=app.state.metrics)

    if proxies:
        # outside the guard, so the rate limit counts the forwarded client of a trusted proxy
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=[str(n) for n in proxies])

    if settings.cors_origins:
        # added last = outermost, so preflight requests are answered before the key check
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Server-Timing"],
        )

    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                reason = err.get("ctx", {}).get("error", "malformed")
                return _error(
                    400,
                    f"request body is not valid JSON: {reason} at character {err['loc'][-1]}",
                    "invalid_json",
                )
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return _error(422, "invalid request: " + "; ".join(problems), "validation")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "too_large" if exc.status_code == 413 else "http"
        headers = exc.headers
        if exc.status_code == 405:
            # one path may be served by several routes (GET and POST /api/kbs): Allow lists
            # the methods of all of them, not only of the first that matched the path
            headers = {**(headers or {}), "Allow": ", ".join(_allowed(request))}
        return _error(exc.status_code, str(exc.detail), kind, headers)

    @app.get(
        "/api/health",
        tags=["运维"],
        summary="健康检查",
        response_model=None,
        responses={200: {"model": HealthOut}},
    )
    def health(svc: ServiceDep) -> dict[str, Any]:
        """Liveness plus what is loaded."""
        index = svc.index
        return {
            "status": "ok",
            "version": __version__,
            "model": index.manifest.get("model"),
            "documents": len(index.documents),
            "chunks": len(index.chunks),
            "auth": bool(settings.api_key),
            # `rag ask` uses this server only when its own settings give the same identity
            "index": index_identity(settings),
        }

    @app.get(
        "/metrics",
        tags=["运维"],
        summary="Prometheus 指标",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    def metrics(counters: MetricsDep) -> Response:
        """Requests by route and status, latency histogram, answers and refusals, ratings."""
        return Response(counters.render(), media_type=CONTENT_TYPE)

    routers = (
        api_ask,
        api_library,
        api_documents,
        api_export,
        api_feedback,
        api_openai,
        api_targets,
        api_admin,
    )
    for module in routers:
        app.include_router(module.router)

    def openapi_schema() -> dict[str, Any]:
        """The schema as this server's settings make it: the question's length limit, and the
        bearer key declared (so /docs can send it, "Authorize") when one is set."""
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {})
            question = components["schemas"]["AskIn"]["properties"]["question"]
            question.update(minLength=1, maxLength=settings.max_question_chars)
            if settings.api_key:
                schemes = components.setdefault("securitySchemes", {})
                schemes["bearer"] = {"type": "http", "scheme": "bearer", "description": "api_key"}
                for path, operations in schema["paths"].items():
                    if needs_guard(path, settings.public_docs):
                        for operation in operations.values():
                            operation["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi_schema  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="plan-rag 接口文档",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )

    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    if (WEB_DIR / "index.html").exists():

        @app.get("/", include_in_schema=False)
        def page() -> FileResponse:
            return FileResponse(Path(WEB_DIR / "index.html"))

        app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    return app
