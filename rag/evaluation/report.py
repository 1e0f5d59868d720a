"""Evaluation output: results.jsonl, report.md and report.html with embedded charts."""

from __future__ import annotations

import base64
import html
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rag.evaluation.evaluate import SEARCH_K, Result, Run, reliability, summary_dict
from rag.evaluation.metrics import hit_at
from rag.evaluation.question_sets import Question

# (Summary field, label, kind): kind "share" prints 0.000, "ms" one decimal, "int" as is
SUMMARY_ROWS: tuple[tuple[str, str, str], ...] = (
    ("questions", "questions", "int"),
    ("accuracy", "answer accuracy (answerable)", "share"),
    ("refusal_recall", "refusal recall (unanswerable)", "share"),
    ("false_refusal", "false-refusal rate (answerable)", "share"),
    ("hit1", "hit@1", "share"),
    ("hit5", "hit@5", "share"),
    ("hit10", "hit@10", "share"),
    ("mrr", "MRR@10", "share"),
    ("citation_accuracy", "citation accuracy", "share"),
    ("violations", "invariant violations", "int"),
    ("withheld", "withheld answers", "int"),
    ("errors", "errors", "int"),
    ("latency_p50", "ask latency p50 (ms)", "ms"),
    ("latency_p95", "ask latency p95 (ms)", "ms"),
    ("latency_max", "ask latency max (ms)", "ms"),
)
TYPE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("questions", "n", "int"),
    ("correct", "correct", "share"),
    ("false_refusal", "refused (answerable)", "share"),
    ("hit1", "hit@1", "share"),
    ("hit5", "hit@5", "share"),
    ("hit10", "hit@10", "share"),
    ("mrr", "MRR", "share"),
    ("citation_accuracy", "citations", "share"),
    ("violations", "violations", "int"),
    ("latency_p50", "p50 ms", "ms"),
    ("latency_p95", "p95 ms", "ms"),
)
Table = tuple[list[str], list[list[str]]]


def fmt(value: Any, kind: str) -> str:
    """A metric value as the tables show it; "–" where there was nothing to measure."""
    if value is None:
        return "–"
    if kind == "share":
        return f"{value:.3f}"
    if kind == "ms":
        return f"{value:.1f}"
    return str(value)


def summary_table(runs: Sequence[Run]) -> Table:
    """Metrics down, configurations across: the side-by-side comparison."""
    header = ["metric", *(r.config.name for r in runs)]
    rows = [
        [label, *(fmt(getattr(r.summary, key), kind) for r in runs)]
        for key, label, kind in SUMMARY_ROWS
    ]
    return header, rows


def type_table(run: Run) -> Table:
    """Question types down, metrics across, for one configuration.

    `correct` is answer accuracy, except for unanswerable questions where it is refusal recall.
    """
    header = ["type", *(label for _, label, _ in TYPE_COLUMNS)]
    rows = [
        [qtype, *(fmt(getattr(s, key), kind) for key, _, kind in TYPE_COLUMNS)]
        for qtype, s in run.by_type.items()
    ]
    return header, rows


def tag_table(run: Run) -> Table:
    """Question tags (review_year, other_place, …) down, metrics across."""
    header = ["tag", *(label for _, label, _ in TYPE_COLUMNS)]
    rows = [
        [tag, *(fmt(getattr(s, key), kind) for key, _, kind in TYPE_COLUMNS)]
        for tag, s in run.by_tag.items()
    ]
    return header, rows


def reliability_table(run: Run) -> Table:
    """Bins of the evidence model's confidence and how often the answer was right in each."""
    header = ["mean confidence", "share correct", "questions"]
    rows = [[f"{c:.3f}", f"{ok:.3f}", str(n)] for c, ok, n in reliability(run.results)]
    return header, rows


def _question_json(q: Question) -> dict[str, Any]:
    data = asdict(q)
    data["per_doc"] = dict(q.per_doc)
    return data


def result_json(result: Result) -> dict[str, Any]:
    """One line of results.jsonl: the question, the answer, its citations and the scores."""
    return {
        "config": result.config,
        "id": result.question.id,
        "type": result.question.type,
        "question": _question_json(result.question),
        "answer": result.answer,
        "refused": result.refused,
        "answer_type": result.qtype,
        "correct": result.correct,
        "rank": result.rank,
        "citation_ok": result.citation_ok,
        "violations": list(result.violations),
        "latency_ms": result.latency_ms,
        "error": result.error,
        "withheld": result.withheld,
        "confidence": result.confidence,
        "citations": [
            {**asdict(c), "section_path": list(c.section_path)} for c in result.citations
        ],
        "hits": [
            {
                "rank": n,
                "chunk_id": h.chunk.chunk_id,
                "doc_id": h.chunk.doc_id,
                "start": h.chunk.start,
                "end": h.chunk.end,
                "score": h.score,
                "bm25": h.bm25,
                "dense": h.dense,
            }
            for n, h in enumerate(result.hits, 1)
        ],
    }


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temp file beside `path`, then rename: readers never see half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp creates the file private; a report is meant to be read by others
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- charts ---------------------------------------------------------------------------------


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def charts(runs: Sequence[Run]) -> dict[str, bytes]:
    """Per-type accuracy bars, ask-latency histogram and hit@k curve, as PNG bytes."""
    # a bare Figure renders with Agg and touches no global pyplot state or display
    from matplotlib.figure import Figure

    out: dict[str, bytes] = {}
    types = list(runs[0].by_type)
    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    width = 0.8 / len(runs)
    for n, run in enumerate(runs):
        values = [run.by_type[t].correct or 0.0 for t in types]
        ax.bar([i + n * width for i in range(len(types))], values, width, label=run.config.name)
    ax.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(types))], types)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("correct (refusal for unanswerable)")
    ax.tick_params(axis="x", labelrotation=20)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    out["accuracy_by_type"] = _png(fig)

    fig = Figure(figsize=(8, 3.2))
    ax = fig.subplots()
    for run in runs:
        ax.hist(
            [r.latency_ms for r in run.results], bins=30, histtype="step", label=run.config.name
        )
    ax.set_xlabel("ask latency (ms)")
    ax.set_ylabel("questions")
    ax.legend(fontsize="small")
    out["latency"] = _png(fig)

    fig = Figure(figsize=(6, 3.6))
    ax = fig.subplots()
    ks = list(range(1, SEARCH_K + 1))
    for run in runs:
        ranks = [r.rank for r in run.results if r.question.answerable and r.question.evidence]
        ax.plot(ks, [hit_at(ranks, k) for k in ks], marker="o", label=run.config.name)
    ax.set_xlabel("k")
    ax.set_ylabel("hit@k")
    ax.set_xticks(ks)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    out["hit_at_k"] = _png(fig)

    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="#999", linestyle="--", label="perfectly calibrated")
    for run in runs:
        bins = reliability(run.results)
        if bins:
            ax.plot([b[0] for b in bins], [b[1] for b in bins], marker="o", label=run.config.name)
    ax.set_xlabel("evidence model confidence")
    ax.set_ylabel("share of questions handled right")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    out["reliability"] = _png(fig)
    return out


# --- documents ------------------------------------------------------------------------------


def _md_table(table: Table) -> str:
    header, rows = table
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(table: Table) -> str:
    header, rows = table
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _gold(q: Question) -> str:
    if not q.answerable:
        return "(refuse)"
    if q.per_doc:
        return " / ".join(v for _, v in q.per_doc)
    return " / ".join(q.items or q.answers)


def misses_table(run: Run, limit: int = 200) -> Table:
    """The questions a configuration got wrong, with what it said."""
    header = ["id", "type", "question", "gold", "got"]
    rows = []
    for r in run.results:
        if r.correct:
            continue
        got = r.error or ("(refused) " if r.refused else "") + r.answer
        got = got.replace("\n", " ")
        rows.append(
            [
                r.question.id,
                r.question.type,
                r.question.question,
                _gold(r.question),
                got[:120] + ("…" if len(got) > 120 else ""),
            ]
        )
    return header, rows[:limit]


def render_markdown(
    runs: Sequence[Run], meta: Mapping[str, str], problems: Sequence[tuple[int, str]]
) -> str:
    """report.md: context, side-by-side summary, per-type tables, charts, misses."""
    parts = ["# Evaluation report", ""]
    parts += [f"- **{k}**: {v}" for k, v in meta.items()]
    if problems:
        parts += ["", f"## Malformed lines ({len(problems)}, skipped)", ""]
        parts += [f"- line {n}: {why}" for n, why in problems]
    parts += ["", "## Summary", "", _md_table(summary_table(runs)), ""]
    parts += [
        "![per-type accuracy](accuracy_by_type.png)",
        "![hit@k](hit_at_k.png)",
        "![latency](latency.png)",
        "![reliability](reliability.png)",
        "",
    ]
    for run in runs:
        parts += [f"## {run.config.name}: by question type", "", _md_table(type_table(run)), ""]
        if run.by_tag:
            parts += [f"## {run.config.name}: by tag", "", _md_table(tag_table(run)), ""]
        parts += [
            f"## {run.config.name}: reliability of the evidence model",
            "",
            _md_table(reliability_table(run)),
            "",
        ]
    for run in runs:
        misses = misses_table(run)
        parts += [f"## {run.config.name}: wrong answers ({len(misses[1])})", ""]
        parts += [_md_table(misses) if misses[1] else "none", ""]
    return "\n".join(parts)


_CSS = (
    "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em;max-width:70em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;"
    "text-align:left;font-size:.9em}th{background:#f3f3f3}img{max-width:100%;display:block}"
)


def render_html(
    runs: Sequence[Run],
    meta: Mapping[str, str],
    problems: Sequence[tuple[int, str]],
    images: Mapping[str, bytes],
) -> str:
    """report.html: the same content as report.md with the charts inlined as base64 PNGs."""
    esc = html.escape
    parts = [
        f"<!doctype html><meta charset='utf-8'><title>Evaluation report</title>"
        f"<style>{_CSS}</style><h1>Evaluation report</h1><ul>"
    ]
    parts += [f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in meta.items()]
    parts.append("</ul>")
    if problems:
        parts.append(f"<h2>Malformed lines ({len(problems)}, skipped)</h2><ul>")
        parts += [f"<li>line {n}: {esc(why)}</li>" for n, why in problems]
        parts.append("</ul>")
    parts += ["<h2>Summary</h2>", _html_table(summary_table(runs))]
    for name, png in images.items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<img alt='{esc(name)}' src='data:image/png;base64,{data}'>")
    for run in runs:
        parts += [
            f"<h2>{esc(run.config.name)}: by question type</h2>",
            _html_table(type_table(run)),
        ]
        if run.by_tag:
            parts += [f"<h2>{esc(run.config.name)}: by tag</h2>", _html_table(tag_table(run))]
        parts += [
            f"<h2>{esc(run.config.name)}: reliability of the evidence model</h2>",
            _html_table(reliability_table(run)),
        ]
    for run in runs:
        misses = misses_table(run)
        parts.append(
            f"<details><summary>{esc(run.config.name)}: wrong answers ({len(misses[1])})"
            f"</summary>{_html_table(misses)}</details>"
        )
    return "\n".join(parts)


def write_report(
    runs: Sequence[Run],
    out_dir: Path,
    meta: Mapping[str, str],
    problems: Sequence[tuple[int, str]] = (),
) -> list[Path]:
    """Write results.jsonl, summary.json, the chart PNGs, report.md and report.html."""
    if not runs:
        raise ValueError("runs must hold at least one configuration; got none")
    written = []
    lines = [json.dumps(result_json(r), ensure_ascii=False) for run in runs for r in run.results]
    out = out_dir / "results.jsonl"
    write_atomic(out, ("\n".join(lines) + "\n").encode("utf-8"))
    written.append(out)
    summary = {
        run.config.name: {
            "overrides": dict(run.config.overrides),
            "summary": summary_dict(run.summary),
            "by_type": {t: summary_dict(s) for t, s in run.by_type.items()},
            "by_tag": {t: summary_dict(s) for t, s in run.by_tag.items()},
            "reliability": reliability(run.results),
        }
        for run in runs
    }
    out = out_dir / "summary.json"
    write_atomic(out, json.dumps(summary, ensure_ascii=False, indent=2).encode("utf-8"))
    written.append(out)
    images = charts(runs)
    for name, png in images.items():
        write_atomic(out_dir / f"{name}.png", png)
        written.append(out_dir / f"{name}.png")
    for name, text in (
        ("report.md", render_markdown(runs, meta, problems)),
        ("report.html", render_html(runs, meta, problems, images)),
    ):
        write_atomic(out_dir / name, text.encode("utf-8"))
        written.append(out_dir / name)
    return written
