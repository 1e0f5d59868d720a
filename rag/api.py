"""HTTP API: create_app(settings) -> FastAPI. The only place errors become HTTP responses."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag import __version__
from rag.config import ROOT, Settings
from rag.errors import (
    IndexMismatchError,
    IndexMissingError,
    IngestError,
    InputError,
    ModelMissingError,
    NotFoundError,
    RagError,
)
from rag.retrieve import Filters
from rag.service import RagService, Turn
from rag.types import Answer, Citation, Hit

logger = logging.getLogger(__name__)
WEB_DIR = ROOT / "web"

_STATUS: dict[type[RagError], int] = {
    InputError: 400,
    NotFoundError: 404,
    IngestError: 422,
    IndexMissingError: 503,
    IndexMismatchError: 503,
    ModelMissingError: 503,
}


class FiltersIn(BaseModel):
    """Optional restrictions of an /api/ask or /api/search request."""

    model_config = ConfigDict(extra="forbid")
    region: str | None = Field(None, max_length=20, examples=["陕西省"])
    year: int | None = Field(None, ge=1949, le=2100, examples=[2022])
    doc_id: str | None = Field(None, max_length=200)


class TurnIn(BaseModel):
    """A previous exchange, for follow-up questions such as 「那陕西呢?」."""

    model_config = ConfigDict(extra="ignore")
    question: str = Field(max_length=2000)
    answer: str = Field("", max_length=20000)


class AskIn(BaseModel):
    """Body of POST /api/ask."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "陕西省2022年技术合同成交额目标是多少?", "top_k": 5},
                {
                    "question": "那安徽呢?",
                    "history": [{"question": "陕西省2022年新增多少高新技术企业?"}],
                },
            ]
        },
    )
    question: str = Field(examples=["陕西省2022年技术合同成交额目标是多少?"])
    top_k: int | None = Field(None, ge=1, le=50)
    filters: FiltersIn | None = None
    history: list[TurnIn] = Field(default_factory=list, max_length=50)


def citation_json(c: Citation) -> dict[str, Any]:
    """A citation as the API returns it."""
    data = asdict(c)
    data["section_path"] = list(c.section_path)
    return data


def hit_json(hit: Hit, rank: int, title: str) -> dict[str, Any]:
    """A ranked passage with its score breakdown."""
    c = hit.chunk
    return {
        "rank": rank,
        "chunk_id": c.chunk_id,
        "doc_id": c.doc_id,
        "source": c.source,
        "title": title,
        "section_path": list(c.section_path),
        "start": c.start,
        "end": c.end,
        "text": c.text,
        "scores": {
            "bm25": hit.bm25,
            "dense": hit.dense,
            "fused": hit.score,
            "bm25_rank": hit.bm25_rank,
            "dense_rank": hit.dense_rank,
        },
    }


def answer_json(answer: Answer, service: RagService) -> dict[str, Any]:
    """The /api/ask response body."""
    titles = {d.doc_id: d.title for d in service.documents()}
    return {
        "question": answer.question,
        "answer": answer.answer,
        "refused": answer.refused,
        "type": answer.qtype,
        "citations": [citation_json(c) for c in answer.citations],
        "rows": [{"label": r[0], "value": r[1], "citation": r[2]} for r in answer.rows],
        "passages": [
            hit_json(h, i + 1, titles.get(h.chunk.doc_id, "")) for i, h in enumerate(answer.hits)
        ],
        "timings_ms": answer.timings_ms,
    }


def to_filters(f: FiltersIn | None) -> Filters | None:
    """API filters -> retrieval filters."""
    return None if f is None else Filters(region=f.region, year=f.year, doc_id=f.doc_id)


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status)


def default_service_factory(settings: Settings) -> RagService:
    """Load the embedding model and the index (building it from seeds when there is none)."""
    from embeddings.embedder import load_embedder

    service = RagService(settings, load_embedder(settings))
    try:
        service.load()
    except (IndexMissingError, IndexMismatchError) as exc:
        logger.warning("%s; indexing %s", exc, settings.seeds_dir)
        service.ingest([settings.seeds_dir])
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
        app.state.started = time.time()
        yield

    app = FastAPI(
        title="plan-rag",
        version=__version__,
        description="基于科技工作要点的离线问答:每个答案都附原文引用(文件 › 章节)。",
        lifespan=lifespan,
    )
    app.state.settings = settings

    def get_service(request: Request) -> RagService:
        svc: RagService = request.app.state.service
        return svc

    Service = Annotated[RagService, Depends(get_service)]

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        began = time.perf_counter()
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            return _error(
                413, f"request body must be at most {settings.max_body_bytes} bytes", "too_large"
            )
        try:
            response = await call_next(request)
        except Exception:
            logger.exception("unhandled error on %s %s", request.method, request.url.path)
            response = _error(500, "internal error; the server log has the details", "internal")
        logger.info(
            "%s %s %d %.1fms",
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - began) * 1000,
        )
        return response

    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
        return _error(status, str(exc), type(exc).__name__)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return _error(422, "invalid request: " + "; ".join(problems), "validation")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), "http")

    @app.get("/api/health")
    def health(svc: Service) -> dict[str, Any]:
        """Liveness plus what is loaded."""
        index = svc.index
        return {
            "status": "ok",
            "version": __version__,
            "model": index.manifest.get("model"),
            "documents": len(index.documents),
            "chunks": len(index.chunks),
        }

    @app.get("/api/documents")
    def documents(svc: Service) -> dict[str, Any]:
        """Metadata of every indexed document."""
        return {"documents": [d.meta() for d in svc.documents()]}

    @app.post("/api/ask")
    def ask(body: AskIn, svc: Service) -> dict[str, Any]:
        """Answer a question with verbatim citations, or refuse with related passages."""
        history = [Turn(t.question, t.answer) for t in body.history]
        answer = svc.ask(body.question, body.top_k, to_filters(body.filters), history)
        return answer_json(answer, svc)

    if (WEB_DIR / "index.html").exists():

        @app.get("/", include_in_schema=False)
        def page() -> FileResponse:
            return FileResponse(Path(WEB_DIR / "index.html"))

        app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    return app
