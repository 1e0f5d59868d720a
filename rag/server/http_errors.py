"""The only place errors become HTTP responses: the system's errors (RagError), invalid
requests and Starlette's own HTTP errors, each as `{"error": {"type", "message"}}`."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

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

logger = logging.getLogger(__name__)

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


def error_json(
    status: int,
    message: str,
    kind: str,
    headers: Mapping[str, str] | None = None,
    **extra: str,
) -> JSONResponse:
    """The error body every refusal of the API has."""
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
        return error_json(
            status,
            str(exc),
            "invalid_request_error",
            headers,
            param="model",
            code="model_not_found",
        )
    return error_json(status, str(exc), type(exc).__name__, headers)


def _allowed(request: Request) -> list[str]:
    """Every method some route of the app serves at the request's path."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def add_error_handlers(app: FastAPI) -> None:
    """Answer the system's errors, invalid requests and HTTP errors in the API's error shape."""

    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                reason = err.get("ctx", {}).get("error", "malformed")
                return error_json(
                    400,
                    f"request body is not valid JSON: {reason} at character {err['loc'][-1]}",
                    "invalid_json",
                )
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return error_json(422, "invalid request: " + "; ".join(problems), "validation")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "too_large" if exc.status_code == 413 else "http"
        headers = exc.headers
        if exc.status_code == 405:
            # one path may be served by several routes (GET and POST /api/kbs): Allow lists
            # the methods of all of them, not only of the first that matched the path
            headers = {**(headers or {}), "Allow": ", ".join(_allowed(request))}
        return error_json(exc.status_code, str(exc.detail), kind, headers)
