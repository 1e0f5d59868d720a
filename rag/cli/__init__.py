"""Command line `rag`: ingest, ask, search, documents, targets, serve, eval, calibrate, verify.
The only package that prints.

The parser is in parser.py; the commands in query.py (ask, search), manage.py (ingest, remove,
documents, verify, targets, serve) and evaluate.py (eval, calibrate); show.py prints answers and
passages. Heavy modules (numpy, the model, the index, the server) are imported inside the
commands that need them: `rag ask` through a running server loads none of them.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from rag.cli.parser import build_parser as build_parser
from rag.config import load_settings
from rag.errors import RagError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rag` command; RagError becomes a one-line message and exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        overrides: dict[str, Any] = {}
        if args.data_dir is not None:
            overrides["data_dir"] = args.data_dir
        if args.kb is not None:
            overrides["kb"] = args.kb
        settings = load_settings(args.config, **overrides)
        code: int = args.func(args, settings)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if argv is None and args.command in ("ask", "search"):
        _exit_now(code)
    return code


def _exit_now(code: int) -> None:
    """End a read-only command at once: tearing down the model, the tokenizer and jieba's
    dictionary took ~0.4 s of a cold `rag ask`, and nothing of theirs needs cleaning up. Only
    for the command itself (argv None); a caller of main() gets its return value."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)
