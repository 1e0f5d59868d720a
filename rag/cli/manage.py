"""`rag ingest`, `remove`, `documents`, `verify`, `targets` and `serve`: the knowledge base and
what it holds, and the server over it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rag.cli import common
from rag.cli.show import print_progress
from rag.config import Settings


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    service = common.open_service(settings, need_index=False)
    report = service.ingest([Path(p) for p in args.paths], progress=print_progress)
    for path, why in report.failures:
        print(f"skipped {path}: {why}", file=sys.stderr)
    if report.unchanged:
        print(
            f"index is up to date: {report.documents} documents, "
            f"{report.chunks} chunks (nothing to do)"
        )
    else:
        print(
            f"indexed {report.documents} documents, {report.chunks} chunks "
            f"({report.embedded} embedded) in {report.seconds:.1f}s -> {settings.index_dir}"
        )
    return 1 if report.failures and args.strict else 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Remove documents from the index by id (as `rag documents` lists them)."""
    service = common.open_service(settings)
    report = service.remove(args.doc_ids)
    print(f"removed {len(args.doc_ids)}; {report.documents} documents, {report.chunks} chunks left")
    return 0


def cmd_documents(args: argparse.Namespace, settings: Settings) -> int:
    service = common.open_service(settings)
    for doc in service.documents():
        meta: dict[str, Any] = doc.meta()
        print(
            f"{meta['doc_id']}  {meta['title']}  [{meta['region'] or '-'} {meta['year'] or '-'}] "
            f"{meta['doc_number'] or ''} {meta['sections']} sections"
        )
    return 0


def cmd_targets(args: argparse.Namespace, settings: Settings) -> int:
    """Every figure of the indexed documents as a row (the table GET /api/targets gives)."""
    from rag.targets.table import figure_text, select, table_of, to_csv

    loaded = common.open_service(settings).loaded
    rows = select(table_of(loaded), args.indicator, args.place, args.year, args.kind)
    if args.csv:
        sys.stdout.write(to_csv(rows))
        return 0
    for r in rows:
        print(
            f"{r.place}  {r.year or '-'}  {r.stance or '-'}/{r.kind}  "
            f"{r.indicator_norm or '-'}  {figure_text(r)}  [{r.doc_id} {r.start}-{r.end}]"
        )
    print(f"({len(rows)} rows)", file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Check every file of the knowledge base's generations; `--repair` mends the current one."""
    from rag.index.generations import Generations

    if args.repair:
        print(common.open_service(settings, need_index=False).kb.repair())
        return 0
    damaged = 0
    for name, problems in Generations(settings.index_dir).verify_all().items():
        print(f"{name}: {'intact' if not problems else 'DAMAGED'}")
        for line in problems:
            print(f"  {line}")
        damaged += bool(problems)
    if damaged:
        print("repair with `rag verify --repair`", file=sys.stderr)
    return 1 if damaged else 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from rag.server.app import create_app, default_service_factory
    from rag.server.runner import check_server_settings, serve

    settings = settings.replace(host=args.host or settings.host, port=args.port or settings.port)
    check_server_settings(settings)
    # load the model and the index before the server starts, so a missing model or a broken
    # index is a one-line message here instead of a traceback from the server's start-up
    print(f"loading the model and the index from {settings.data_dir} ...", file=sys.stderr)
    service = default_service_factory(settings)
    app = create_app(settings, service=service)
    print(f"serving on http://{settings.host}:{settings.port}/", file=sys.stderr)
    serve(app, settings)
    return 0
