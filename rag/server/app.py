"""HTTP API: create_app(settings) -> FastAPI: the routers, middleware (rag/server/middleware.py),
error handlers (rag/server/http_errors.py), health, metrics, the API docs and the page."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from rag import __version__
from rag.config import ROOT, Settings
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
from rag.server.guards import AnswerGate, BodyLimit, needs_guard, trusted_networks
from rag.server.http_errors import add_error_handlers
from rag.server.middleware import Guard, RequestCheck
from rag.server.schemas import ERROR_RESPONSES, HealthOut, answer_json
from rag.server.telemetry import CONTENT_TYPE, Metrics
from rag.service import RagService

__all__ = ["answer_json", "create_app", "default_service_factory"]

WEB_DIR = ROOT / "web"
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
FEEDBACK_DB = "feedback.sqlite3"

_DESCRIPTION = """基于科技工作要点的离线问答:每个答案都附原文引用(文件 › 章节 › 原文)。

- `/api/*`:本系统的接口(提问、流式提问、检索、文档、反馈)。
- `/v1/*`:OpenAI 兼容接口,任何 OpenAI 客户端都可直接使用(`base_url` 指向本服务的 `/v1`)。
- 设置了 `api_key` 时,`/api/*` 与 `/v1/*`(健康检查除外)以及 `/docs`、`/openapi.json`、`/metrics`
  (除非设置 `public_docs`)需带 `Authorization: Bearer <key>`。
- 同时作答的问题数有上限(`max_in_flight`);繁忙时立即返回 503 与 `Retry-After`,请稍后重试。
- 每个响应都带 `Server-Timing` 头;问答响应的 `timings_ms` 给出各阶段耗时(毫秒)。
"""


def default_service_factory(settings: Settings) -> RagService:
    """Load the embedding model and the index (built from the seeds when missing or stale)."""
    from embeddings.embedder import load_embedder

    service = RagService(settings, load_embedder(settings))
    service.load_or_build()
    # the first query pays one-off set-up (jieba's dictionary, torch's first pass: ~0.7 s
    # measured): pay it here, not in the first user's answer
    service.search("科技工作要点")
    return service


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
    # added first = innermost: it sees the body as the endpoint reads it
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(Guard, check=RequestCheck(settings), gate=gate, metrics=app.state.metrics)

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

    add_error_handlers(app)

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
