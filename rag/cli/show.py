"""Answers and passages as text. Both arrive in the API's JSON shape: from a server as it sent
them, or from an in-process answer through answer_view / hit_view."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.records import Answer, Hit


def answer_view(answer: Answer) -> dict[str, Any]:
    """What print_answer reads, in the API's JSON shape (rag.server.schemas.answer_json), without
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
        "passages": [hit_view(hit) for hit in answer.hits[:3]],
        "timings_ms": answer.timings_ms,
    }


def hit_view(hit: Hit) -> dict[str, Any]:
    """What print_hit reads, in the API's JSON shape (rag.server.schemas.hit_json)."""
    c = hit.chunk
    return {
        "source": c.source,
        "section_path": list(c.section_path),
        "text": c.text,
        "scores": {"fused": hit.score, "bm25": hit.bm25, "dense": hit.dense},
    }


def print_answer(answer: dict[str, Any]) -> None:
    """An answer (the API's JSON, from a server or answer_view) as text."""
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
            print_hit(hit, 0)
    total = answer["timings_ms"].get("total")
    if total is not None:
        print(f"\n({total:.0f} ms)")


def print_hit(hit: dict[str, Any], rank: int) -> None:
    """A ranked passage (the API's JSON, from a server or hit_view) as text."""
    head = f"{rank}. " if rank else "  - "
    scores = hit["scores"]
    print(
        f"{head}{hit['source']} › {' › '.join(hit['section_path'])}  "
        f"[fused {scores['fused']:.3f} | bm25 {scores['bm25']:.2f} | dense {scores['dense']:.3f}]"
    )
    text = hit["text"].replace("\n", " ")
    print(f"     {text[:160]}{'…' if len(text) > 160 else ''}")


def print_progress(stage: str, done: int, total: int) -> None:
    """A long ingest's stages, on stderr."""
    if stage == "embed" and done == 0:
        print(f"embedding {total} texts", file=sys.stderr)
    elif stage == "chunk":
        print(f"indexing {total} documents", file=sys.stderr)
