"""The evaluation's charts as PNG bytes: accuracy per question type, ask latency, hit@k and
the evidence model's reliability, one series per configuration."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from rag.evaluation.evaluate import SEARCH_K, Run, reliability
from rag.evaluation.metrics import hit_at


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
