"""A knowledge base: one named collection's index generations on disk and the one in memory.

Writers (`ingest`, `remove`, `repair`) hold the knowledge base's file lock, build on the
generation current on disk (not on what this process happened to load) and switch the new one
in atomically. Readers adopt a new generation on their next question (`refresh`); a generation
that fails its integrity check is never served: the previous one keeps serving.

Reading generations from disk is in rag/kb/reading.py, repair in rag/kb/repair.py.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from embeddings.embedder import Embedder as Embedder
from rag.answer.question import bigram_idf
from rag.config import Settings
from rag.errors import (
    IndexDamagedError,
    IndexMismatchError,
    IndexMissingError,
    InputError,
    NotFoundError,
)
from rag.index.generations import Generations
from rag.index.store import (
    Index,
    check_compatible,
    read_manifest,
)
from rag.ingest.readers import ingest_paths
from rag.kb.build import Builder, IngestReport, Progress, silent, sources
from rag.kb.fingerprint import index_params
from rag.kb.reading import clean_leftovers, read_current, read_previous
from rag.kb.repair import repair_current
from rag.lang.periods import Segment, covered_years, time_map
from rag.records import Document

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """An index with the facts derived from it once, swapped in as one value: a question in
    flight keeps the index it started with and never mixes it with another's facts."""

    index: Index
    times: dict[str, list[Segment]]
    years: dict[str, set[int]]
    idf: dict[str, float]
    generation: str = ""


class KnowledgeBase:
    """One named collection (`settings.kb`) of documents and its index generations."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.name = settings.kb
        self.embedder = embedder
        self.generations = Generations(settings.index_dir, settings.keep_generations)
        self.builder = Builder(settings, embedder, self.generations)
        self._on_change = on_change
        self._loaded: Loaded | None = None
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._write = threading.Lock()
        # why the generation serving is not the current one on disk (None when it is)
        self.damage: str | None = None
        # an index given in memory (a union of bases) is not replaced by what is on disk
        self.detached = False

    # --- reading ------------------------------------------------------------------------

    def _read_current(self) -> tuple[Index, str]:
        return read_current(self.settings, self.generations, self.name)

    def _read_previous(self) -> tuple[Index, str] | None:
        return read_previous(self.settings, self.generations)

    def adopt(self, index: Index, generation: str = "") -> None:
        """Serve `index`; IndexMismatchError when it was built for other settings."""
        problem = check_compatible(
            index.manifest, self.embedder.name, self.embedder.dim, index_params(self.settings)
        )
        if problem:
            raise IndexMismatchError(f"{problem}; rebuild it with `rag ingest seeds`")
        times = time_map(index.documents)
        years = {d: covered_years(doc, times[d]) for d, doc in index.documents.items()}
        idf = bigram_idf(c.text for c in index.chunks)
        self._loaded = Loaded(index, times, years, idf, generation)
        self._on_change()

    def load(self) -> None:
        """Serve the current generation. When it is damaged, serve the previous one and keep
        the reason in `damage`; IndexMissingError / IndexMismatchError say what to do. Builds a
        crashed writer left behind are removed first, unless a writer is at work now."""
        clean_leftovers(self.generations)
        stamp = self.generations.stamp()
        try:
            index, generation = self._read_current()
            self.damage = None
        except IndexDamagedError as exc:
            fallback = self._read_previous()
            if fallback is None:
                raise
            index, generation = fallback
            self.damage = str(exc)
            logger.error("%s; serving the previous generation %s meanwhile", exc, generation)
        self.adopt(index, generation)
        self._stamp = stamp

    def load_or_build(self) -> None:
        """Load the index; build it from the seeds only when there is none, or when a stale
        index holds only seed documents. An index of the user's own documents is never
        rebuilt from the seeds: that would drop them."""
        seeds = self.settings.seeds_dir
        try:
            self.load()
        except IndexDamagedError:
            raise
        except IndexMissingError as exc:
            if not seeds.is_dir():
                raise
            logger.warning("%s; indexing %s", exc, seeds)
            self.ingest([seeds])
        except IndexMismatchError as exc:
            manifest = read_manifest(self.generations.current()) or {}
            seed_names = {p.name for p in seeds.iterdir()} if seeds.is_dir() else set()
            if not sources(manifest) <= seed_names:
                raise IndexMismatchError(
                    f"{exc}. The index holds documents from outside {seeds}: run "
                    "`rag ingest` on their folders to rebuild it"
                ) from exc
            logger.warning("%s; rebuilding from %s", exc, seeds)
            self.ingest([seeds])

    def refresh(self) -> bool:
        """Adopt a generation another writer switched in since this one was loaded; at most
        one look a `reload_check_seconds`. Questions in flight finish on the index they
        started with. A new generation that cannot be served is logged and the old one keeps
        serving. True when a new generation was adopted."""
        now = time.monotonic()
        if (
            self._loaded is None
            or self.detached
            or now - self._checked < self.settings.reload_check_seconds
        ):
            return False
        self._checked = now
        stamp = self.generations.stamp()
        if stamp is None or stamp == self._stamp:
            return False
        self._stamp = stamp
        pointer = self.generations.pointer()
        if pointer is not None and pointer.current == self.loaded.generation and not self.damage:
            return False
        try:
            index, generation = self._read_current()
            self.adopt(index, generation)
        except (IndexMissingError, IndexMismatchError) as exc:
            self.damage = str(exc)
            logger.error("a new generation cannot be served (%s); keeping the old one", exc)
            return False
        self.damage = None
        logger.info("adopted generation %s of %s", generation, self.generations.root)
        return True

    @property
    def loaded(self) -> Loaded:
        """The loaded index and its derived facts."""
        if self._loaded is None:
            raise IndexMissingError(
                f"no index loaded from {self.generations.root}; run `rag ingest seeds`"
            )
        return self._loaded

    @property
    def index(self) -> Index:
        """The loaded index."""
        return self.loaded.index

    @property
    def empty(self) -> bool:
        """True while the knowledge base holds no document (new, or every one removed)."""
        return self._loaded is None or not self._loaded.index.documents

    # --- writing ------------------------------------------------------------------------

    def _base(self, keep: set[str]) -> tuple[dict[str, Document], Index | None]:
        """The documents to build on (those of the generation current on disk) and an index
        whose vectors may be reused. A damaged generation gives its documents when those
        still verify; one whose documents are lost but that lists documents outside `keep`
        is never replaced: that would drop them without a word."""
        if self._loaded is not None and self.generations.stamp() == self._stamp and not self.damage:
            return dict(self._loaded.index.documents), self._loaded.index
        try:
            index, _ = self._read_current()
            return dict(index.documents), index
        except IndexMissingError:
            return {}, None
        except IndexMismatchError as exc:
            fallback = self._read_previous()
            return self.builder.salvage(exc, fallback[0] if fallback else None, keep)

    def ingest(self, paths: Sequence[Path], progress: Progress | None = None) -> IngestReport:
        """Add or update the documents under `paths`; documents indexed before stay (removal is
        explicit: `remove`). Unchanged documents cost nothing. Files that cannot be read are
        reported in the result, the rest go in."""
        began = time.perf_counter()
        report = progress or silent
        documents: list[Document] = []
        failures: list[tuple[Path, str]] = []
        for n, path in enumerate(paths, 1):
            read, failed = ingest_paths([Path(path)], self.settings)
            documents += read
            failures += failed
            report("read", n, len(paths))
        if not documents:
            raise InputError(
                "no document could be ingested from "
                + ", ".join(str(p) for p in paths)
                + "".join(f"\n  {path}: {why}" for path, why in failures)
            )
        return self.add(documents, failures, progress, began)

    def add(
        self,
        documents: Sequence[Document],
        failures: Sequence[tuple[Path, str]] = (),
        progress: Progress | None = None,
        began: float | None = None,
    ) -> IngestReport:
        """Add or replace already-read documents (an upload, an undone removal)."""
        began = time.perf_counter() if began is None else began
        with self._write, self.generations.writer(self.settings.writer_wait_seconds):
            self.generations.clean()
            base, previous = self._base({d.source for d in documents})
            names = {d.doc_id for d in documents}
            merged = [d for d in base.values() if d.doc_id not in names] + list(documents)
            return self._build(merged, previous, failures, began, progress)

    def remove(self, doc_ids: Sequence[str]) -> IngestReport:
        """Remove documents by id; NotFoundError names any unknown one."""
        began = time.perf_counter()
        with self._write, self.generations.writer(self.settings.writer_wait_seconds):
            base, previous = self._base(set())
            unknown = [d for d in doc_ids if d not in base]
            if unknown:
                raise NotFoundError(
                    f"unknown document(s) {', '.join(map(repr, unknown))}; "
                    f"known: {', '.join(sorted(base))}"
                )
            kept = [d for d in base.values() if d.doc_id not in set(doc_ids)]
            # removing the last document leaves an empty generation, not a missing one: the
            # knowledge base stays, and the removal can be undone
            return self._build(kept, previous, [], began, None)

    def _build(
        self,
        documents: list[Document],
        previous: Index | None,
        failures: Sequence[tuple[Path, str]],
        began: float,
        progress: Progress | None,
    ) -> IngestReport:
        report = functools.partial(IngestReport, failures=tuple((str(p), w) for p, w in failures))
        if previous is not None and not self.damage and self.builder.unchanged(documents, previous):
            if self._loaded is None or self._loaded.index is not previous:
                self.adopt(previous, self.generations.current().name)
                self._stamp = self.generations.stamp()
            return report(
                documents=len(documents),
                chunks=len(previous.chunks),
                embedded=0,
                unchanged=True,
                seconds=time.perf_counter() - began,
                generation=self.generations.current().name,
            )
        index, made, embedded = self.builder.build(documents, previous, progress or silent)
        self.adopt(index, made.name)
        self._stamp = self.generations.stamp()
        self.damage = None
        return report(
            documents=len(documents),
            chunks=len(index.chunks),
            embedded=embedded,
            unchanged=False,
            seconds=time.perf_counter() - began,
            generation=made.name,
        )

    # --- integrity ----------------------------------------------------------------------

    def repair(self) -> str:
        """Make the current generation intact again (rag.kb.repair); says what it did."""
        return repair_current(self)
