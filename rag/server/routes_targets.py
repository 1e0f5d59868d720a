"""Targets: GET /api/targets, every figure of the documents as a cited row (JSON, CSV, .xlsx)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from rag.server.deps import LibraryDep
from rag.server.routes_documents import KbsQuery
from rag.server.schemas import NOT_FOUND_RESPONSE
from rag.targets.table import COLUMNS, KINDS, select, table_of, to_csv, to_xlsx

router = APIRouter(prefix="/api/targets", tags=["指标"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "",
    summary="指标表:每个数字一行,带原文引用",
    response_model=None,
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            }
        },
        **NOT_FOUND_RESPONSE,
    },
)
def targets(
    library: LibraryDep,
    indicator: Annotated[
        str | None,
        Query(max_length=100, examples=["研发投入强度"], description="指标名(按字序匹配)"),
    ] = None,
    place: Annotated[
        str | None, Query(max_length=40, examples=["江苏"], description="地方(含其下级地方)")
    ] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100, description="数字所指的年份")] = None,
    kind: Annotated[
        str | None, Query(max_length=20, description=f"性质或度量: {', '.join(KINDS)}")
    ] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
    kb: KbsQuery = None,
) -> dict[str, Any] | Response:
    """Rows: place, level, year, stance (target/result), kind (growth/share/count/money/rank/
    level), indicator as written and normalised, value verbatim, unit, qualifier, and the
    sentence it comes from (doc_id, start, end, quote: the document's text at those offsets)."""
    loaded = library.services(kb).loaded
    rows = select(table_of(loaded), indicator, place, year, kind)
    if format == "csv":
        return Response(
            "\ufeff" + to_csv(rows[:limit]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="targets.csv"'},
        )
    if format == "xlsx":
        return Response(
            to_xlsx(rows[:limit]),
            media_type=XLSX,
            headers={"Content-Disposition": 'attachment; filename="targets.xlsx"'},
        )
    return {
        "total": len(rows),
        "columns": list(COLUMNS),
        "rows": [r.as_dict() for r in rows[:limit]],
    }
