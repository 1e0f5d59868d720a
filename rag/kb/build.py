"""Building a knowledge base's next generation: chunk and embed what changed, save it sealed.

The caller (rag/kb/base.py) holds the writer's file lock and decides what to build on; a
`Builder` says whether a build can be skipped, builds and saves, and recovers the documents
of a generation that no longer loads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.embedder import Embedder
from rag.config import Settings
from rag.errors import IndexMismatchError, IndexMissingError
from rag.index.chunking import chunk_document
from rag.index.generations import Generations
from rag.index.store import (
    Index,
    build_index,
    check_compatible,
    load_documents,
    read_manifest,
    save_index,
)
from rag.index.vectors import Vectors
from rag.kb.fingerprint import index_params
from rag.lang.text import analyzer_version
from rag.records import Document

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestReport:
    """What an ingest run did."""

    documents: int
    chunks: int
    embedded: int
    failures: tuple[tuple[str, str], ...]
    unchanged: bool
    seconds: float
    generation: str = ""


# what a long ingest reports: stage (read, chunk, embed, save), done, total
Progress = Callable[[str, int, int], None]


def silent(stage: str, done: int, total: int) -> None:
    """Progress nobody watches."""


def sources(manifest: dict[str, Any]) -> set[str]:
    """The source file names a manifest lists."""
    return {str(d.get("source")) for d in manifest.get("documents", {}).values()}


class Builder:
    """Builds and saves generations of one knowledge base's index."""

    def __init__(self, settings: Settings, embedder: Embedder, generations: Generations) -> None:
        self.settings = settings
        self.embedder = embedder
        self.generations = generations

    def unchanged(self, documents: list[Document], previous: Index) -> bool:
        """True when `previous` is intact, current, and built from these very documents by
        the same model, settings and code: building again would give the same index."""
        return (
            check_compatible(
                previous.manifest,
                self.embedder.name,
                self.embedder.dim,
                index_params(self.settings),
            )
            is None
            and previous.manifest.get("analyzer") == analyzer_version()
            and {d.doc_id: d.sha256 for d in documents}
            == {d.doc_id: d.sha256 for d in previous.documents.values()}
            and self.generations.pointer() is not None
            and not self.generations.problems(full=False)
        )

    def build(
        self, documents: list[Document], previous: Index | None, tell: Progress
    ) -> tuple[Index, Path, int]:
        """The new index (vectors of documents unchanged since `previous` reused), the
        generation it was saved as, and how many texts were embedded."""
        tell("chunk", 0, len(documents))

        def embed(texts: list[str]) -> Vectors:
            parts = []
            step = max(1, self.settings.embed_batch_size * 4)
            for start in range(0, len(texts), step):
                tell("embed", start, len(texts))
                parts.append(self.embedder.embed_passages(texts[start : start + step]))
            tell("embed", len(texts), len(texts))
            return np.concatenate(parts) if parts else np.zeros((0, self.embedder.dim), np.float32)

        index, embedded = build_index(
            documents,
            lambda d: chunk_document(
                d,
                self.settings.chunk_max_chars,
                self.settings.chunk_overlap_chars,
                self.settings.chunk_hard_max_chars,
            ),
            embed,
            self.embedder.name,
            self.embedder.dim,
            index_params(self.settings),
            self.settings.store_kind,
            self.settings.hnsw_m,
            previous,
            self.settings.milvus_location,
            self.settings.keyword_index,
            self.settings.ivf_nprobe,
        )
        tell("save", 0, 1)
        made = save_index(index, self.generations)
        tell("save", 1, 1)
        return index, made, embedded

    def salvage(
        self, exc: IndexMismatchError, reuse: Index | None, keep: set[str]
    ) -> tuple[dict[str, Document], Index | None]:
        """The documents to build on when the current generation does not load (`exc`): its
        stored documents when those still verify; else those of `reuse` (the previous
        generation), unless the current one lists documents outside `keep` that would be
        dropped without a word."""
        current = self.generations.current()
        try:
            pointer = self.generations.pointer()
            documents = load_documents(current, pointer.manifest_sha256 if pointer else None)
            logger.warning("%s; rebuilding from its stored documents", exc)
            return documents, reuse
        except (IndexMissingError, IndexMismatchError):
            pass
        manifest = read_manifest(current) or {}
        base = dict(reuse.documents) if reuse else {}
        lost = sorted(sources(manifest) - keep - {d.source for d in base.values()})
        if lost:
            raise IndexMismatchError(
                f"{exc}. It holds {len(lost)} document(s) this ingest does not include "
                f"({', '.join(lost[:5])}{' …' if len(lost) > 5 else ''}); ingest their "
                "files too, so nothing is dropped"
            ) from exc
        logger.info("building a new index: %s", exc)
        return base, reuse
