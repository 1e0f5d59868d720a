"""Knowledge bases from the page: /api/kbs, upload (POST /api/documents), jobs and their
progress stream, removal with an undo window, re-index.

Uploaded files are kept under data/kbs/<kb>/sources/<job>/ (nothing a user gave is lost) and
ingested by the server's single ingest worker; the new generation is served as soon as it is
switched in, questions in flight finish on the old one.
"""

from __future__ import annotations

import asyncio
import json
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from rag.errors import IndexMissingError, InputError, NotFoundError
from rag.ingest.readers import SUPPORTED_SUFFIXES
from rag.server.deps import JobsDep, LibraryDep, SettingsDep
from rag.server.schemas import NOT_FOUND_RESPONSE

router = APIRouter(prefix="/api", tags=["知识库"])

KbQuery = Annotated[
    str | None, Query(max_length=40, description="knowledge base (default: the setting kb)")
]
_COPY_BLOCK = 1 << 16


class KbIn(BaseModel):
    """A new knowledge base."""

    name: str = Field(min_length=1, max_length=40, examples=["市县计划"])


class UndoIn(BaseModel):
    """The token a removal returned."""

    token: str = Field(min_length=1, max_length=64)


def _kb_json(library: Any, name: str) -> dict[str, Any]:
    service = library.service(name)
    try:
        loaded = service.kb.loaded
    except IndexMissingError:
        return {
            "name": name,
            "documents": 0,
            "chunks": 0,
            "generation": None,
            "damage": None,
            "default": name == library.settings.kb,
        }
    return {
        "name": name,
        "documents": len(loaded.index.documents),
        "chunks": len(loaded.index.chunks),
        "generation": loaded.generation or None,
        "damage": service.kb.damage,
        "default": name == library.settings.kb,
    }


@router.get("/kbs", summary="知识库列表")
def kbs(library: LibraryDep) -> dict[str, Any]:
    """Every knowledge base with its document and chunk counts and serving generation."""
    return {"kbs": [_kb_json(library, n) for n in library.names()]}


@router.post("/kbs", summary="新建知识库", status_code=201)
def create_kb(library: LibraryDep, body: KbIn) -> dict[str, Any]:
    """An empty knowledge base; upload documents into it with POST /api/documents?kb=NAME."""
    library.create(body.name)
    return {"name": body.name}


@router.delete("/kbs/{name}", summary="删除知识库(移入回收站)", responses=NOT_FOUND_RESPONSE)
def delete_kb(
    library: LibraryDep,
    name: str,
    confirm: Annotated[str, Query(max_length=40, description="the name again")] = "",
) -> dict[str, Any]:
    """Moves the knowledge base to data/trash (never erased); `confirm` must repeat the name."""
    return {"deleted": name, "kept_at": library.delete(name, confirm)}


def _safe_name(raw: str | None) -> str:
    """The file's own name, without folders or control characters."""
    name = unicodedata.normalize("NFC", Path((raw or "").replace("\\", "/")).name)
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if not name or name.startswith(".") or len(name) > 120:
        raise InputError(f"file name must be 1-120 printable characters; got {raw!r:.80}")
    return name


async def _save(upload: UploadFile, target: Path, limit: int) -> None:
    """Copy an upload to disk, refusing it beyond `limit` bytes."""
    size = 0
    with open(target, "wb") as out:
        while block := await upload.read(_COPY_BLOCK):
            size += len(block)
            if size > limit:
                out.close()
                target.unlink(missing_ok=True)
                raise InputError(
                    f"larger than {limit // (1 << 20)} MB (setting ingest_max_file_bytes)"
                )
            out.write(block)


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string", "format": "binary"},
                            "description": ".txt .md .html .docx .pdf",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/documents",
    summary="上传文档(后台建索引)",
    status_code=202,
    openapi_extra=_UPLOAD_BODY,
    responses=NOT_FOUND_RESPONSE,
)
async def upload(
    request: Request,
    library: LibraryDep,
    jobs: JobsDep,
    settings: SettingsDep,
    kb: KbQuery = None,
) -> dict[str, Any]:
    """Stores the files and starts an ingest job; follow it with GET /api/jobs/{id} or its
    event stream. A file that cannot be taken is listed with its reason, the rest go in."""
    service = library.service(kb)
    try:
        form = await request.form(max_files=settings.max_upload_files + 1)
    except (ValueError, KeyError, MultiPartException) as exc:
        raise InputError(f"the body must be multipart/form-data with files; {exc}") from exc
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    if not files:
        raise InputError("an upload needs at least one file in the multipart field 'files'")
    if len(files) > settings.max_upload_files:
        raise InputError(
            f"at most {settings.max_upload_files} files per upload (setting max_upload_files); "
            f"got {len(files)}"
        )
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    folder = service.kb.generations.root / "sources" / stamp
    folder.mkdir(parents=True)
    listed: list[dict[str, str]] = []
    saved: list[Path] = []
    for upload_file in files:
        shown = (upload_file.filename or "?")[:120]
        try:
            name = _safe_name(upload_file.filename)
            if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                raise InputError(
                    f"type {Path(name).suffix or '(none)'} is not read; "
                    f"supported: {' '.join(SUPPORTED_SUFFIXES)}"
                )
            if any(p.name == name for p in saved):
                raise InputError("the same file name twice in one upload")
            await _save(upload_file, folder / name, settings.ingest_max_file_bytes)
        except InputError as exc:
            listed.append({"name": shown, "status": "error", "message": str(exc)})
            continue
        saved.append(folder / name)
        listed.append({"name": name, "status": "ok", "message": ""})
    if not saved:
        folder.rmdir()
        raise InputError(
            "no file could be taken: " + "; ".join(f"{f['name']}: {f['message']}" for f in listed)
        )
    job = jobs.submit(service.kb.name, listed, lambda progress: service.ingest(saved, progress))
    return {"job": job.json()}


def _uploads(service: Any) -> list[Path]:
    root = service.kb.generations.root / "sources"
    return sorted(root.iterdir()) if root.is_dir() else []


@router.get("/jobs/{job_id}", summary="上传任务进度", responses=NOT_FOUND_RESPONSE)
def job(jobs: JobsDep, job_id: Annotated[str, PathParam(max_length=64)]) -> dict[str, Any]:
    """Stage (queued, read, chunk, embed, save, done, failed), done/total, a line per file."""
    return jobs.get(job_id).json()


@router.get("/jobs/{job_id}/events", summary="上传任务进度(SSE)", responses=NOT_FOUND_RESPONSE)
async def job_events(jobs: JobsDep, request: Request, job_id: str) -> StreamingResponse:
    """Server-sent events: one `progress` event per change, a last `done` event."""
    found = jobs.get(job_id)

    async def stream() -> AsyncIterator[str]:
        version = -1
        while True:
            version = await asyncio.to_thread(jobs.wait, found, version, 5.0)
            event = "done" if found.finished else "progress"
            yield f"event: {event}\ndata: {json.dumps(found.json(), ensure_ascii=False)}\n\n"
            if found.finished or await request.is_disconnected():
                return

    return StreamingResponse(stream(), media_type="text/event-stream")


@router.delete("/documents/{doc_id}", summary="删除文档(可撤销)", responses=NOT_FOUND_RESPONSE)
def remove_document(
    library: LibraryDep,
    settings: SettingsDep,
    doc_id: str,
    kb: KbQuery = None,
    confirm: Annotated[str, Query(max_length=200, description="the doc_id again")] = "",
) -> dict[str, Any]:
    """Removes a document from the knowledge base; POST /api/documents/undo with the token
    puts it back within `undo_seconds`."""
    if confirm != doc_id:
        raise InputError(f"removing {doc_id!r} needs confirm={doc_id!r}; got {confirm[:80]!r}")
    removal = library.remove(kb, [doc_id])
    return {
        "removed": [d.doc_id for d in removal.documents],
        "kb": removal.kb,
        "undo_token": removal.token,
        "undo_seconds": settings.undo_seconds,
    }


@router.post("/documents/undo", summary="撤销删除", responses=NOT_FOUND_RESPONSE)
def undo(library: LibraryDep, body: UndoIn) -> dict[str, Any]:
    """Puts back the documents of a removal."""
    removal = library.undo(body.token)
    return {"restored": [d.doc_id for d in removal.documents], "kb": removal.kb}


@router.post(
    "/documents/{doc_id}/reindex",
    summary="重建单个文档的索引",
    status_code=202,
    responses=NOT_FOUND_RESPONSE,
)
def reindex(library: LibraryDep, jobs: JobsDep, doc_id: str, kb: KbQuery = None) -> dict[str, Any]:
    """Reads the document's uploaded file again (an upload keeps its original)."""
    service = library.services([kb] if kb else None)
    doc = service.document(doc_id)
    stored = [p / doc.source for p in _uploads(service) if (p / doc.source).is_file()]
    if not stored:
        raise NotFoundError(
            f"{doc.source} was not uploaded from the page, so no copy is kept; "
            "run `rag ingest` on its file to re-index it"
        )
    path = stored[-1]
    listed = [{"name": doc.source, "status": "ok", "message": ""}]
    job = jobs.submit(service.kb.name, listed, lambda progress: service.ingest([path], progress))
    return {"job": job.json()}
