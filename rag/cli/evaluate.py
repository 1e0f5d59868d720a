"""`rag eval` (score the system on a question set, write the report, check floors) and
`rag calibrate` (fit the evidence model)."""

from __future__ import annotations

import argparse
import os
import sys

from rag.cli import common
from rag.config import Settings


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    import platform
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    from rich.table import Table

    from rag.evaluation.evaluate import Config, check_floors, evaluate, parse_configs
    from rag.evaluation.question_sets import load_questions
    from rag.evaluation.report import write_report
    from rag.evaluation.tables import summary_table, type_table

    questions, problems = load_questions(args.file)
    for line, why in problems:
        print(f"{args.file}:{line}: skipped: {why}", file=sys.stderr)
    configs = parse_configs(args.compare) if args.compare else [Config(settings.fusion)]
    service = common.open_service(settings)
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
    service = common.open_service(settings.replace(evidence_model=args.out.with_suffix(".none")))
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
