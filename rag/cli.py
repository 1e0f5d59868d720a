"""Command line `rag`: ingest, ask, search, documents, serve, eval. The only module that prints."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.config import Settings, load_settings
from rag.errors import RagError

if TYPE_CHECKING:
    # `rag ask` through a running server loads none of these (nor numpy, faiss, the model):
    # they are imported where a command needs them
    from rag.records import Answer, Hit
    from rag.retrieval.retrieve import Filters
    from rag.server.client import Server
    from rag.service import RagService

logger = logging.getLogger(__name__)


def _service(settings: Settings, need_index: bool = True) -> RagService:
    from embeddings.embedder import load_embedder
    from rag.service import RagService

    service = RagService(settings, load_embedder(settings))
    if need_index:
        # same rule as `serve`: a missing or stale index of the seeds is rebuilt (seconds);
        # a stale index of the user's own documents is refused with the command to rebuild it
        service.load_or_build()
    return service


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


def _answer_view(answer: Answer) -> dict[str, Any]:
    """What _print_answer reads, in the API's JSON shape (rag.server.schemas.answer_json), without
    importing the API's schemas (pydantic) for an in-process answer."""
    return {
        "answer": answer.answer,
        "refused": answer.refused,
        "citations": [
            {
                "title": c.title,
                "section_path": list(c.section_path),
                "source": c.source,
                "start": c.start,
                "end": c.end,
                "quote": c.quote,
            }
            for c in answer.citations
        ],
        "passages": [_hit_view(hit) for hit in answer.hits[:3]],
        "timings_ms": answer.timings_ms,
    }


def _hit_view(hit: Hit) -> dict[str, Any]:
    """What _print_hit reads, in the API's JSON shape (rag.server.schemas.hit_json)."""
    c = hit.chunk
    return {
        "source": c.source,
        "section_path": list(c.section_path),
        "text": c.text,
        "scores": {"fused": hit.score, "bm25": hit.bm25, "dense": hit.dense},
    }


def _print_answer(answer: dict[str, Any]) -> None:
    """An answer (the API's JSON, from a server or _answer_view) as text."""
    if answer["refused"]:
        print(f"[未找到] {answer['answer']}")
    else:
        print(answer["answer"])
    for n, c in enumerate(answer["citations"], 1):
        path = " › ".join(c["section_path"])
        print(f"\n【{n}】{c['title']} › {path}  [{c['source']} {c['start']}-{c['end']}]")
        print(f"    「{c['quote']}」")
    if answer["refused"] and answer["passages"]:
        print("\n相关段落:")
        for hit in answer["passages"][:3]:
            _print_hit(hit, 0)
    total = answer["timings_ms"].get("total")
    if total is not None:
        print(f"\n({total:.0f} ms)")


def _print_hit(hit: dict[str, Any], rank: int) -> None:
    """A ranked passage (the API's JSON, from a server or _hit_view) as text."""
    head = f"{rank}. " if rank else "  - "
    scores = hit["scores"]
    print(
        f"{head}{hit['source']} › {' › '.join(hit['section_path'])}  "
        f"[fused {scores['fused']:.3f} | bm25 {scores['bm25']:.2f} | dense {scores['dense']:.3f}]"
    )
    text = hit["text"].replace("\n", " ")
    print(f"     {text[:160]}{'…' if len(text) > 160 else ''}")


def _print_progress(stage: str, done: int, total: int) -> None:
    if stage == "embed" and done == 0:
        print(f"embedding {total} texts", file=sys.stderr)
    elif stage == "chunk":
        print(f"indexing {total} documents", file=sys.stderr)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(settings, need_index=False)
    report = service.ingest([Path(p) for p in args.paths], progress=_print_progress)
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
    service = _service(settings)
    report = service.remove(args.doc_ids)
    print(f"removed {len(args.doc_ids)}; {report.documents} documents, {report.chunks} chunks left")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    payload: dict[str, Any] | None = _remote(args, settings, "ask")
    if payload is None:
        service = _service(settings)
        answer = service.ask(args.question, args.top_k, _filters(args))
        if args.json:
            from rag.server.schemas import answer_json

            payload = answer_json(answer, service)
        else:
            payload = _answer_view(answer)
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_answer(payload)
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    hits: list[dict[str, Any]] | None = _remote(args, settings, "search")
    if hits is None:
        service = _service(settings)
        found = service.search(args.question, args.top_k, _filters(args), args.fusion)
        hits = [_hit_view(hit) for hit in found]
    if not hits:
        print("没有匹配的段落(问题涉及的地区或年份不在文档范围内)。")
    for rank, hit in enumerate(hits, 1):
        _print_hit(hit, rank)
    return 0


def cmd_documents(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(settings)
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

    loaded = _service(settings).loaded
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


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    import platform
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    from rich.table import Table

    from rag.evaluation.evaluate import Config, check_floors, evaluate, parse_configs
    from rag.evaluation.question_sets import load_questions
    from rag.evaluation.report import summary_table, type_table, write_report

    questions, problems = load_questions(args.file)
    for line, why in problems:
        print(f"{args.file}:{line}: skipped: {why}", file=sys.stderr)
    configs = parse_configs(args.compare) if args.compare else [Config(settings.fusion)]
    service = _service(settings)
    err = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("evaluating", total=len(questions) * len(configs))
        runs = evaluate(service, questions, configs, lambda: bar.advance(task))
    meta = {
        "question set": f"{args.file} ({len(questions)} questions, {len(problems)} malformed)",
        "index": f"{len(service.index.documents)} documents, {len(service.index.chunks)} chunks",
        "model": service.embedder.name,
        "settings": f"top_k {settings.top_k}, candidates {settings.candidates}, "
        f"bm25_weight {settings.bm25_weight}, dense_weight {settings.dense_weight}",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    written = write_report(runs, args.out, meta, problems)
    # piped output keeps every column instead of rich's 80-column default
    out = Console(width=None if sys.stdout.isatty() else 160)
    for title, (header, rows) in [("summary", summary_table(runs))] + [
        (f"{run.config.name} by question type", type_table(run)) for run in runs
    ]:
        table = Table(title=title, title_justify="left")
        for n, name in enumerate(header):
            table.add_column(name, justify="left" if n == 0 else "right")
        for row in rows:
            table.add_row(*row)
        out.print(table)
    print(f"wrote {', '.join(p.name for p in written)} to {args.out}")
    floors = {
        key: value
        for key in ("min_accuracy", "min_refusal", "max_false_refusal", "min_hit5")
        if (value := getattr(args, key)) is not None
    }
    missed = check_floors(runs[0].summary, floors)
    for why in missed:
        print(f"floor not met ({runs[0].config.name}): {why}", file=sys.stderr)
    return 1 if missed else 0


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    """Fit the evidence model on training question sets and write it."""
    from rag.answer.calibrate import calibrate, write_model
    from rag.evaluation.question_sets import load_questions

    questions = []
    for path in args.files:
        loaded, bad = load_questions(path)
        for line, why in bad:
            print(f"{path}:{line}: skipped ({why})", file=sys.stderr)
        questions += loaded
    service = _service(settings.replace(evidence_model=args.out.with_suffix(".none")))
    model = calibrate(service, questions, args.files)
    write_model(model, args.out)
    prov = model.provenance
    print(
        f"fitted on {prov['training_questions']} questions ({prov['training_rows']} candidates); "
        f"threshold {model.threshold:.3f}, {prov['training_correct_at_threshold']} right; "
        f"wrote {args.out}"
    )
    for name, weight in zip(model.features, model.coef, strict=True):
        print(f"  {name:<14} {weight:+.3f}")
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Check every file of the knowledge base's generations; `--repair` mends the current one."""
    from rag.index.generations import Generations

    if args.repair:
        print(_service(settings, need_index=False).kb.repair())
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


if __name__ == "__main__":
    sys.exit(main())
