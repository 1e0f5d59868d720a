"""`rag ask` and `rag search`: through a running server when one serves the same index (no
model or index loaded here), else in-process."""

from __future__ import annotations

import argparse
import json
import logging
from typing import TYPE_CHECKING, Any

from rag.cli import common
from rag.cli.show import answer_view, hit_view, print_answer, print_hit
from rag.config import Settings
from rag.errors import RagError

if TYPE_CHECKING:
    # `rag ask` through a running server loads none of these (nor numpy, faiss, the model):
    # they are imported where a command needs them
    from rag.retrieval.retrieve import Filters
    from rag.server.client import Server

logger = logging.getLogger(__name__)


def _filters(args: argparse.Namespace) -> Filters:
    from rag.retrieval.retrieve import Filters

    # unset fields restrict nothing: Filters() means the whole corpus
    return Filters(region=args.region, year=args.year, doc_id=args.doc)


def _server(args: argparse.Namespace, settings: Settings) -> Server | None:
    """The server to ask: `--server URL`, else the settings' own one when it is up and serves
    the same index (GET /api/health, 50 ms), else None (answer in-process)."""
    from rag.server.client import Server, discover

    if args.local:
        return None
    if args.server:
        return Server(args.server, settings.api_key)
    return discover(settings)


def _remote(args: argparse.Namespace, settings: Settings, call: str) -> Any:
    """The server's reply to `call` ("ask" or "search"), or None to answer in-process.

    A named server that fails is an error; a discovered one that fails (gone, busy, refusing
    the question) is left for the in-process answer, which gives the same reply or error."""
    from rag.server.client import RemoteError

    server = _server(args, settings)
    if server is None:
        return None
    filters = {"region": args.region, "year": args.year, "doc_id": args.doc}
    try:
        if call == "ask":
            return server.ask(args.question, args.top_k, filters, args.kb if args.server else None)
        return server.search(args.question, args.top_k, filters, args.fusion)
    except RemoteError as exc:
        if args.server:
            raise RagError(str(exc)) from exc
        logger.info("answering in-process: %s", exc)
        return None


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    payload: dict[str, Any] | None = _remote(args, settings, "ask")
    if payload is None:
        service = common.open_service(settings)
        answer = service.ask(args.question, args.top_k, _filters(args))
        if args.json:
            from rag.server.schemas import answer_json

            payload = answer_json(answer, service)
        else:
            payload = answer_view(answer)
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print_answer(payload)
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    hits: list[dict[str, Any]] | None = _remote(args, settings, "search")
    if hits is None:
        service = common.open_service(settings)
        found = service.search(args.question, args.top_k, _filters(args), args.fusion)
        hits = [hit_view(hit) for hit in found]
    if not hits:
        print("没有匹配的段落(问题涉及的地区或年份不在文档范围内)。")
    for rank, hit in enumerate(hits, 1):
        print_hit(hit, rank)
    return 0
