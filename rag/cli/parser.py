"""The `rag` command's arguments: global options, then one sub-command each."""

from __future__ import annotations

import argparse
from pathlib import Path

from rag.cli.evaluate import cmd_calibrate, cmd_eval
from rag.cli.manage import cmd_documents, cmd_ingest, cmd_remove, cmd_serve, cmd_targets, cmd_verify
from rag.cli.query import cmd_ask, cmd_search


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and --help)."""
    parser = argparse.ArgumentParser(prog="rag", description="科技工作要点问答:答案附原文引用。")
    parser.add_argument("--config", type=Path, help="extra TOML settings file")
    parser.add_argument("--data-dir", type=Path, help="where the index lives (default data/)")
    parser.add_argument("--kb", help="knowledge base to use (default: the setting kb, plans)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "ingest",
        help="add or update files or folders (.txt .md .html .docx .pdf); others stay indexed",
    )
    p.add_argument("paths", nargs="+")
    p.add_argument("--strict", action="store_true", help="exit 1 when any file was skipped")
    p.set_defaults(func=cmd_ingest)

    for name, func, text in (
        ("ask", cmd_ask, "answer a question with citations"),
        ("search", cmd_search, "ranked passages with score breakdown"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("question")
        p.add_argument("--top-k", type=int, default=None)
        p.add_argument("--region")
        p.add_argument("--year", type=int)
        p.add_argument("--doc", help="restrict to one doc_id")
        if name == "ask":
            p.add_argument("--json", action="store_true", help="print the API's JSON")
        else:
            p.add_argument("--fusion", choices=["weighted", "rrf", "bm25", "dense"])
        where = p.add_mutually_exclusive_group()
        where.add_argument(
            "--server",
            metavar="URL",
            help="ask this running server (default: the one at the settings' host and port, "
            "when it is up and serves the same index; otherwise answer in-process)",
        )
        where.add_argument(
            "--local", action="store_true", help="answer in-process even when a server is up"
        )
        p.set_defaults(func=func)

    p = sub.add_parser("remove", help="remove documents from the index by id")
    p.add_argument("doc_ids", nargs="+", help="document ids, as `rag documents` lists them")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("verify", help="check every stored index file against its sha256")
    p.add_argument(
        "--repair",
        action="store_true",
        help="rebuild a damaged generation from its stored texts, or go back to the previous one",
    )
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("documents", help="list indexed documents with metadata")
    p.set_defaults(func=cmd_documents)

    p = sub.add_parser("targets", help="every figure of the documents as a cited row")
    p.add_argument("--indicator", help="indicator, matched in character order (研发投入强度)")
    p.add_argument("--place", help="place, with the places inside it (江苏, 全国)")
    p.add_argument("--year", type=int, help="the year the figure refers to")
    p.add_argument("--kind", help="target, result, growth, share, count, money, rank or level")
    p.add_argument("--csv", action="store_true", help="CSV on stdout (all columns)")
    p.set_defaults(func=cmd_targets)

    p = sub.add_parser("serve", help="serve the chat page and the HTTP API")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="score the system on a JSONL question set")
    p.add_argument(
        "file", type=Path, help="question set (JSONL, as tests/data/dev_questions.jsonl)"
    )
    p.add_argument(
        "--compare",
        help="configurations side by side: bm25,dense,hybrid,rrf (weighted:W, rrf:K); "
        "floors apply to the first",
    )
    p.add_argument("--out", type=Path, default=Path("artifacts/eval"), help="report directory")
    p.add_argument("--min-accuracy", type=float, help="exit 1 below this answer accuracy")
    p.add_argument("--min-refusal", type=float, help="exit 1 below this refusal recall")
    p.add_argument("--max-false-refusal", type=float, help="exit 1 above this false-refusal rate")
    p.add_argument("--min-hit5", type=float, help="exit 1 below this hit@5")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("calibrate", help="fit the evidence model on training question sets")
    p.add_argument("files", type=Path, nargs="+", help="training question sets (JSONL)")
    p.add_argument(
        "--out", type=Path, default=Path("config/evidence_model.json"), help="model file"
    )
    p.set_defaults(func=cmd_calibrate)
    return parser
