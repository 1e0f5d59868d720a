"""Documents: GET /api/documents (metadata) and GET /api/documents/{doc_id} (text and outline).

Ids are looked up among the indexed documents only; nothing here touches the file system, so an
id cannot name a file.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from rag.errors import InputError
from rag.server.deps import LibraryDep
from rag.server.schemas import NOT_FOUND_RESPONSE, DocumentOut, DocumentsOut, document_json

# knowledge bases to look in (repeat the parameter for several; default: the setting kb)
# knowledge-base names, as AskIn.kbs takes them: an empty name (`?kb=`) is a 422, not the default
KbName = Annotated[str, Field(min_length=1, max_length=40)]
KbsQuery = Annotated[list[KbName] | None, Query(max_length=10)]

router = APIRouter(prefix="/api/documents", tags=["文档"])


def check_doc_id(doc_id: str) -> str:
    """The id, or an InputError when it looks like a path rather than an id."""
    if ".." in doc_id or "/" in doc_id or "\\" in doc_id or not doc_id.isprintable():
        raise InputError(
            "doc_id must be an id listed by GET /api/documents, without path separators, "
            f"'..' or control characters; got {doc_id[:80]!r}"
        )
    return doc_id


@router.get(
    "",
    summary="文档列表(元数据)",
    response_model=None,
    responses={200: {"model": DocumentsOut}, **NOT_FOUND_RESPONSE},
)
def documents(library: LibraryDep, kb: KbsQuery = None) -> dict[str, Any]:
    """Metadata of every indexed document (of the given knowledge bases)."""
    return {"documents": [d.meta() for d in library.services(kb).documents()]}


@router.get(
    "/{doc_id}",
    summary="单个文档(全文与章节目录)",
    response_model=None,
    responses={200: {"model": DocumentOut}, **NOT_FOUND_RESPONSE},
)
def document(
    library: LibraryDep,
    doc_id: Annotated[str, Path(min_length=1, max_length=200, examples=["002_9588b7af80620eb9"])],
    kb: KbsQuery = None,
) -> dict[str, Any]:
    """Metadata, the cleaned text every citation offset refers to, and the section outline."""
    return document_json(library.services(kb).document(check_doc_id(doc_id)))
