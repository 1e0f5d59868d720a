"""Repairing a knowledge base whose current generation fails its integrity check: rebuild it
from its stored documents when those verify, else fall back to the previous generation."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rag.errors import IndexDamagedError, IndexMismatchError, IndexMissingError
from rag.index.store import load_documents
from rag.kb.reading import read_previous

if TYPE_CHECKING:
    from rag.kb.base import KnowledgeBase


def repair_current(kb: KnowledgeBase) -> str:
    """Make the current generation intact again: rebuild from its stored documents when
    those verify, else fall back to the previous generation. Says what it did."""
    with kb._write, kb.generations.writer(kb.settings.writer_wait_seconds):
        problems = kb.generations.verify_all()
        pointer = kb.generations.pointer()
        assert pointer is not None
        if not problems[pointer.current]:
            return f"generation {pointer.current} is intact; nothing to repair"
        kb.damage = problems[pointer.current][0]
        try:
            documents = load_documents(
                kb.generations.root / pointer.current, pointer.manifest_sha256
            )
        except (IndexMissingError, IndexMismatchError):
            if not pointer.previous or problems.get(pointer.previous):
                raise IndexDamagedError(
                    f"generation {pointer.current} is damaged ({kb.damage}) and has no "
                    "intact previous generation; ingest the documents' files again"
                ) from None
            restored = kb.generations.restore_previous()
            kb.load()
            return f"{pointer.current} was damaged; the previous generation {restored} is current"
        fallback = read_previous(kb.settings, kb.generations)
        report = kb._build(
            list(documents.values()),
            fallback[0] if fallback else None,
            [],
            time.perf_counter(),
            None,
        )
        return (
            f"{pointer.current} was damaged; rebuilt {report.documents} documents from its "
            f"stored texts as {report.generation} ({report.embedded} texts embedded)"
        )
