"""A knowledge base: one named collection's index generations on disk and the one in memory.

Writers (`ingest`, `remove`, `repair`) hold the knowledge base's file lock, build on the
generation current on disk (not on what this process happened to load) and switch the new one
in atomically. Readers adopt a new generation on their next question (`refresh`); a generation
that fails its integrity check is never served: the previous one keeps serving.
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
    WriterBusyError,
)
from rag.index.generations import Generations
from rag.index.store import (
    Index,
    check_compatible,
    load_documents,
    load_index,
    read_manifest,
    save_index,
)
from rag.ingest.readers import ingest_paths
from rag.kb.build import Builder, IngestReport, Progress, silent, sources
from rag.kb.fingerprint import index_params
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

    def _read(self, generation: str, manifest_sha256: str | None) -> Index:
        directory = self.generations.root / generation
        try:
            return load_index(
                directory,
                self.settings.store_kind,
                self.settings.hnsw_m,
                manifest_sha256,
                self.settings.full_check_on_load,
                self.settings.milvus_location,
                self.settings.keyword_index,
                self.settings.ivf_nprobe,
            )
        except IndexMissingError as exc:
            # the pointer names this generation: a missing manifest is damage, not absence
            raise IndexDamagedError(
                f"index damaged: {directory / 'manifest.json'}: missing; "
                "repair with `rag verify --repair`"
            ) from exc

    def _read_current(self) -> tuple[Index, str]:
        pointer = self.generations.pointer()
        if pointer is None:
            self._migrate_legacy()
            pointer = self.generations.pointer()
            if pointer is None:
                raise IndexMissingError(
                    f"no index in {self.generations.root}; build one with `rag ingest seeds` "
                    "(or `make index`)"
                )
        return self._read(pointer.current, pointer.manifest_sha256), pointer.current

    def _read_previous(self) -> tuple[Index, str] | None:
        pointer = self.generations.pointer()
        if pointer is None or pointer.previous is None:
            return None
        try:
            return self._read(pointer.previous, None), pointer.previous
        except (IndexMissingError, IndexMismatchError) as exc:
            logger.error("the previous generation cannot serve either: %s", exc)
            return None

    def _migrate_legacy(self) -> None:
        """Copy an index saved before generations (data/index) into the first generation of
        the default knowledge base. The old directory is left where it is."""
        legacy = self.settings.legacy_index_dir
        if self.name != Settings.kb or read_manifest(legacy) is None:
            return
        with self.generations.writer(self.settings.writer_wait_seconds):
            if self.generations.pointer() is not None:
                return
            index = load_index(
                legacy,
                self.settings.index_kind,
                self.settings.hnsw_m,
                keyword_kind=self.settings.keyword_index,
                nprobe=self.settings.ivf_nprobe,
            )
            made = save_index(index, self.generations)
        logger.warning("copied the index at %s into %s (the old copy is kept)", legacy, made)

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
        self._clean_leftovers()
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

    def _clean_leftovers(self) -> None:
        if not self.generations.root.is_dir():
            return
        try:
            with self.generations.writer(0):
                self.generations.clean()
        except WriterBusyError:
            pass  # a live writer's build directory is not a leftover

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
        """Make the current generation intact again: rebuild from its stored documents when
        those verify, else fall back to the previous generation. Says what it did."""
        with self._write, self.generations.writer(self.settings.writer_wait_seconds):
            problems = self.generations.verify_all()
            pointer = self.generations.pointer()
            assert pointer is not None
            if not problems[pointer.current]:
                return f"generation {pointer.current} is intact; nothing to repair"
            self.damage = problems[pointer.current][0]
            try:
                documents = load_documents(
                    self.generations.root / pointer.current, pointer.manifest_sha256
                )
            except (IndexMissingError, IndexMismatchError):
                if not pointer.previous or problems.get(pointer.previous):
                    raise IndexDamagedError(
                        f"generation {pointer.current} is damaged ({self.damage}) and has no "
                        "intact previous generation; ingest the documents' files again"
                    ) from None
                restored = self.generations.restore_previous()
                self.load()
                return (
                    f"{pointer.current} was damaged; the previous generation {restored} is current"
                )
            fallback = self._read_previous()
            report = self._build(
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
