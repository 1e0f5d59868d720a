"""Evaluation output: results.jsonl, summary.json, report.md and report.html with embedded charts
(the tables from tables.py, the charts from charts.py)."""

from __future__ import annotations

import base64
import html
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rag.evaluation.charts import charts
from rag.evaluation.evaluate import Result, Run, reliability, summary_dict
from rag.evaluation.question_sets import Question
from rag.evaluation.tables import (
    Table,
    misses_table,
    reliability_table,
    summary_table,
    tag_table,
    type_table,
)


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
