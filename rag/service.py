"""The one place the stages are wired: ingest into an index, then search and ask over it."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.answer import answer_question, number_violations
from rag.assess import Evidence
from rag.chunking import chunk_document
from rag.config import Settings
from rag.errors import IndexMismatchError, IndexMissingError, InputError, NotFoundError
from rag.evidence import EvidenceModel, load_model
from rag.followup import rewrite_followup as rewrite_followup
from rag.index import (
    Index,
    Vectors,
    build_index,
    check_compatible,
    load_index,
    read_manifest,
    save_index,
)
from rag.ingest import ingest_paths
from rag.normalize import normalise_question
from rag.periods import Segment, covered_years, time_map
from rag.question import bigram_idf
from rag.retrieve import Filters, Scope, resolve_scope, retrieve
from rag.text import analyzer_version
from rag.types import Answer, Document, Hit

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    """What the service needs of an embedding model (embeddings.embedder implements it)."""

    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> Vectors: ...
    def embed_passages(self, texts: list[str], show_progress: bool = False) -> Vectors: ...


@dataclass(frozen=True)
class Turn:
    """A previous exchange of the conversation."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Loaded:
    """An index with the facts derived from it once, swapped in as one value: a question in
    flight keeps the index it started with and never mixes it with another's facts."""

    index: Index
    times: dict[str, list[Segment]]
    years: dict[str, set[int]]
    idf: dict[str, float]


@dataclass(frozen=True)
class Prepared:
    """A question made ready for the answerer (see RagService.prepare)."""

    question: str
    asked: str
    loaded: Loaded
    scope: Scope
    hits: list[Hit]
    related: list[Hit]
    evidence: Evidence
    search_docs: Callable[[frozenset[str] | None], list[Hit]]
    shown: int
    scope_ms: float = 0.0


@dataclass(frozen=True)
class IngestReport:
    """What an ingest run did."""

    documents: int
    chunks: int
    embedded: int
    failures: tuple[tuple[str, str], ...]
    unchanged: bool
    seconds: float


@functools.cache
def pipeline_version() -> str:
    """Fingerprint of the code that turns files into chunks: a change to it makes indexes stale.

    Unchanged documents keep their vectors only while reading, cleaning, outlining and
    chunking are the same code that produced them.
    """
    digest = hashlib.sha256()
    for module in ("ingest", "metadata", "outline", "chunking"):
        digest.update((Path(__file__).parent / f"{module}.py").read_bytes())
    return digest.hexdigest()[:12]


def index_params(settings: Settings) -> dict[str, Any]:
    """The parameters an index must share with the settings to be used."""
    return {
        "pipeline": pipeline_version(),
        "chunk_max_chars": settings.chunk_max_chars,
        "chunk_overlap_chars": settings.chunk_overlap_chars,
        "query_prompt": settings.query_prompt,
        "passage_prompt": settings.passage_prompt,
    }


def validate_question(question: object, settings: Settings) -> str:
    """The stripped question, or an InputError saying which rule it breaks."""
    if not isinstance(question, str):
        raise InputError(f"question must be a string; got {type(question).__name__}")
    text = question.strip()
    if not text:
        raise InputError("question must not be empty")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        # JSON may carry a lone surrogate (\ud800); no text can be cut or matched with it
        raise InputError(
            f"question must be valid Unicode text; got a lone surrogate at {exc.start}"
        ) from exc
    if len(text) > settings.max_question_chars:
        raise InputError(
            f"question must be at most {settings.max_question_chars} characters; got {len(text)}"
        )
    return text


class RagService:
    """Search and ask over one index with one embedder; thread-safe for concurrent queries."""

    def __init__(self, settings: Settings, embedder: Embedder, index: Index | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self._loaded: Loaded | None = None
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._model: EvidenceModel | None = (
            load_model(settings.evidence_model) if settings.evidence_model.exists() else None
        )
        if self._model is None:
            logger.warning(
                "no evidence model at %s: answers use the lexical bar min_evidence=%s "
                "(fit one with `rag calibrate`)",
                settings.evidence_model,
                settings.min_evidence,
            )
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()
        if index is not None:
            self._adopt(index)

    # --- index lifecycle ----------------------------------------------------------------

    def _adopt(self, index: Index) -> None:
        problem = check_compatible(
            index.manifest, self.embedder.name, self.embedder.dim, index_params(self.settings)
        )
        if problem:
            raise IndexMismatchError(f"{problem}; rebuild it with `rag ingest seeds`")
        times = time_map(index.documents)
        years = {d: covered_years(doc, times[d]) for d, doc in index.documents.items()}
        idf = bigram_idf(c.text for c in index.chunks)
        self._loaded = Loaded(index, times, years, idf)
        self._stamp = self._manifest_stamp()

    def _manifest_stamp(self) -> tuple[int, int] | None:
        try:
            stat = (self.settings.index_dir / "manifest.json").stat()
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns)

    def refresh(self) -> bool:
        """Pick up an index another process (a `rag ingest` next to a running server) saved
        since this one was loaded; at most one look a `reload_check_seconds`. Questions in
        flight finish on the index they started with. A new index that cannot be loaded is
        logged and the old one keeps serving. True when a new index was adopted."""
        now = time.monotonic()
        if self._loaded is None or now - self._checked < self.settings.reload_check_seconds:
            return False
        self._checked = now
        stamp = self._manifest_stamp()
        if stamp is None or stamp == self._stamp:
            return False
        try:
            index = load_index(
                self.settings.index_dir, self.settings.index_kind, self.settings.hnsw_m
            )
            self._adopt(index)
        except (IndexMissingError, IndexMismatchError) as exc:
            logger.warning("a new index was saved but cannot be served (%s); keeping the old", exc)
            self._stamp = stamp
            return False
        with self._lock:
            self._cache.clear()
        logger.info("adopted the index saved at %s", self.settings.index_dir)
        return True

    def load(self) -> None:
        """Load the saved index; IndexMissingError or IndexMismatchError say what to do."""
        self._adopt(
            load_index(self.settings.index_dir, self.settings.index_kind, self.settings.hnsw_m)
        )

    def load_or_build(self) -> None:
        """Load the index; build it from the seeds when there is none, or when a stale index
        holds only seed documents. A stale index of the user's own documents is refused, since
        rebuilding it from the seeds would silently drop them."""
        seeds = self.settings.seeds_dir
        try:
            self.load()
        except IndexMissingError as exc:
            if not seeds.is_dir():
                raise
            logger.warning("%s; indexing %s", exc, seeds)
            self.ingest([seeds])
        except IndexMismatchError as exc:
            manifest = read_manifest(self.settings.index_dir) or {}
            sources = {d.get("source") for d in manifest.get("documents", {}).values()}
            seed_names = {p.name for p in seeds.iterdir()} if seeds.is_dir() else set()
            if not sources <= seed_names:
                raise IndexMismatchError(
                    f"{exc}. The index holds documents from outside {seeds}: run "
                    "`rag ingest` on their folders to rebuild it"
                ) from exc
            logger.warning("%s; rebuilding from %s", exc, seeds)
            self.ingest([seeds])

    @property
    def loaded(self) -> Loaded:
        """The loaded index and its derived facts."""
        if self._loaded is None:
            raise IndexMissingError(
                f"no index loaded from {self.settings.index_dir}; run `rag ingest seeds`"
            )
        return self._loaded

    @property
    def index(self) -> Index:
        """The loaded index."""
        return self.loaded.index

    def _previous(self, keep: set[str]) -> Index | None:
        """The index to build on. One that cannot be read but lists documents outside `keep`
        is never replaced: that would drop them without a word."""
        if self._loaded is not None:
            return self._loaded.index
        try:
            return load_index(
                self.settings.index_dir, self.settings.index_kind, self.settings.hnsw_m
            )
        except IndexMissingError:
            return None
        except IndexMismatchError as exc:
            manifest = read_manifest(self.settings.index_dir) or {}
            sources = {str(d.get("source")) for d in manifest.get("documents", {}).values()}
            others = sorted(sources - keep)
            if others:
                raise IndexMismatchError(
                    f"{exc}. It holds {len(others)} document(s) this ingest does not include "
                    f"({', '.join(others[:5])}{' …' if len(others) > 5 else ''}); ingest their "
                    "folders too, so nothing is dropped"
                ) from exc
            logger.info("building a new index: %s", exc)
            return None

    def ingest(
        self,
        paths: Sequence[Path],
        progress: Callable[[str], None] | None = None,
    ) -> IngestReport:
        """Add or update the documents under `paths`; documents indexed before stay (removal is
        explicit: `remove`). Unchanged documents cost nothing."""
        began = time.perf_counter()
        documents, failures = ingest_paths(list(paths))
        previous = self._previous({d.source for d in documents})
        if previous is not None:
            names = {d.doc_id for d in documents}
            documents = [
                d for d in previous.documents.values() if d.doc_id not in names
            ] + documents
        if not documents:
            raise InputError(
                "no document could be ingested from "
                + ", ".join(str(p) for p in paths)
                + "".join(f"\n  {path}: {why}" for path, why in failures)
            )
        return self._build(documents, previous, failures, began, progress)

    def remove(self, doc_ids: Sequence[str]) -> IngestReport:
        """Remove documents from the index by id; NotFoundError names any unknown one."""
        began = time.perf_counter()
        index = self.index
        unknown = [d for d in doc_ids if d not in index.documents]
        if unknown:
            raise NotFoundError(
                f"unknown document(s) {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(sorted(index.documents))}"
            )
        kept = [d for d in index.documents.values() if d.doc_id not in set(doc_ids)]
        if not kept:
            raise InputError("removing every document would leave an empty index; keep one")
        return self._build(kept, index, [], began, None)

    def _build(
        self,
        documents: list[Document],
        previous: Index | None,
        failures: Sequence[tuple[Path, str]],
        began: float,
        progress: Callable[[str], None] | None,
    ) -> IngestReport:
        params = index_params(self.settings)
        if (
            previous is not None
            and check_compatible(previous.manifest, self.embedder.name, self.embedder.dim, params)
            is None
            and previous.manifest.get("analyzer") == analyzer_version()
            and {d.doc_id: d.sha256 for d in documents}
            == {d.doc_id: d.sha256 for d in previous.documents.values()}
            and self.settings.index_dir.joinpath("manifest.json").exists()
        ):
            self._adopt(previous)
            return IngestReport(
                len(documents),
                len(previous.chunks),
                0,
                tuple((str(p), w) for p, w in failures),
                True,
                time.perf_counter() - began,
            )
        if progress:
            progress(f"indexing {len(documents)} documents")
        index, embedded = build_index(
            documents,
            lambda d: chunk_document(
                d, self.settings.chunk_max_chars, self.settings.chunk_overlap_chars
            ),
            self._embed_passages,
            self.embedder.name,
            self.embedder.dim,
            params,
            self.settings.index_kind,
            self.settings.hnsw_m,
            previous,
        )
        save_index(index, self.settings.index_dir)
        with self._lock:
            self._cache.clear()
        self._adopt(index)
        return IngestReport(
            len(documents),
            len(index.chunks),
            embedded,
            tuple((str(p), w) for p, w in failures),
            False,
            time.perf_counter() - began,
        )

    def _embed_passages(self, texts: list[str]) -> Vectors:
        return self.embedder.embed_passages(texts, show_progress=True)

    # --- queries ------------------------------------------------------------------------

    def embed_query(self, text: str) -> Vectors:
        """Query vector, cached: analysts repeat and refine the same questions."""
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vec = np.asarray(self.embedder.embed_queries([text]), dtype=np.float32)
        with self._lock:
            self._cache[text] = vec
            while len(self._cache) > 512:
                self._cache.popitem(last=False)
        return vec

    def scope(self, question: str, filters: Filters | None, loaded: Loaded | None = None) -> Scope:
        """Which documents the question may be answered from."""
        loaded = loaded or self.loaded
        return resolve_scope(
            question,
            loaded.index.documents,
            filters or Filters(),
            years_of=lambda d: loaded.years.get(d.doc_id, set()),
        )

    def search(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        fusion: str | None = None,
    ) -> list[Hit]:
        """Ranked passages with score breakdown, steered by the question's place and year."""
        question = normalise_question(validate_question(question, self.settings))
        self.refresh()
        scope = self.scope(question, filters)
        if scope.empty:
            return []
        return retrieve(
            question, self.index, self.embed_query, self.settings, scope.doc_ids, top_k, fusion
        )

    def prepare(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] = (),
        fusion: str | None = None,
    ) -> Prepared:
        """Everything the answerer reads for a question: the resolved question, its scope, the
        passages and the evidence context (also what `rag calibrate` fits the model on)."""
        question = normalise_question(validate_question(question, self.settings))
        self.refresh()
        loaded = self.loaded
        index = loaded.index
        asked = rewrite_followup(question, history, index.documents)
        began = time.perf_counter()
        scope = self.scope(asked, filters, loaded)
        scope_ms = (time.perf_counter() - began) * 1000
        shown = self.settings.top_k if top_k is None else top_k
        # the answerer reads a few more passages than are shown: a figure is often one item away
        depth = max(shown, self.settings.answer_passages)

        def search_docs(doc_ids: frozenset[str] | None) -> list[Hit]:
            return retrieve(asked, index, self.embed_query, self.settings, doc_ids, depth, fusion)

        if scope.empty:
            hits: list[Hit] = []
            related = search_docs(None)[:shown]
        else:
            hits = search_docs(scope.doc_ids)
            related = []
        evidence = Evidence(
            loaded.times,
            index.sentences,
            self.embed_query(asked) if index.sentences is not None else None,
            self._model,
        )
        return Prepared(
            question,
            asked,
            loaded,
            scope,
            hits,
            related,
            evidence,
            search_docs,
            shown,
            round(scope_ms, 2),
        )

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] = (),
        fusion: str | None = None,
    ) -> Answer:
        """A cited extractive answer, or a refusal with the closest passages as related reading."""
        began = time.perf_counter()
        p = self.prepare(question, top_k, filters, history, fusion)
        t_retrieve = time.perf_counter()
        answer = answer_question(
            p.asked,
            p.hits,
            p.scope,
            p.loaded.index.documents,
            p.loaded.idf,
            self.settings,
            p.search_docs,
            p.related,
            p.evidence,
        )
        bad = number_violations(answer)
        if bad:
            # the promise is absolute: an answer whose numbers are not in its quotes is withheld
            logger.error("withheld answer with uncited numbers %s for %r", bad, p.asked)
            answer = Answer(
                p.asked,
                "文档中没有找到可以核对的答案。",
                True,
                (),
                answer.hits,
                answer.qtype,
                withheld=True,
            )
        t_answer = time.perf_counter()
        timings = {
            "scope": p.scope_ms,
            "retrieve": round((t_retrieve - began) * 1000 - p.scope_ms, 2),
            "answer": round((t_answer - t_retrieve) * 1000, 2),
            "total": round((t_answer - began) * 1000, 2),
        }
        return dataclasses.replace(
            answer,
            question=answer.question if p.asked == p.question else p.asked,
            hits=answer.hits[: p.shown],
            timings_ms=timings,
        )

    def documents(self) -> list[Document]:
        """All indexed documents."""
        return list(self.index.documents.values())

    def document(self, doc_id: str) -> Document:
        """One document by id, or InputError naming the known ids."""
        docs = self.index.documents
        if doc_id not in docs:
            raise NotFoundError(f"unknown document {doc_id!r}; known: {', '.join(sorted(docs))}")
        return docs[doc_id]
