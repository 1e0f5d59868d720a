"""The one place the stages are wired: ingest into an index, then search and ask over it."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.answer import answer_question, bigram_idf, number_violations
from rag.chunking import chunk_document
from rag.config import Settings
from rag.errors import IndexMismatchError, IndexMissingError, InputError, NotFoundError
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
from rag.retrieve import Filters, Scope, region_aliases, resolve_scope, retrieve
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
    if len(text) > settings.max_question_chars:
        raise InputError(
            f"question must be at most {settings.max_question_chars} characters; got {len(text)}"
        )
    return text


_FOLLOWUP = re.compile(r"^(那|那么|那在|还有|同样|再问|换成)|[呢吗]\s*[??]?$")


def rewrite_followup(question: str, history: Sequence[Turn], documents: dict[str, Document]) -> str:
    """Turn a follow-up such as 「那陕西呢?」 into a full question using the previous one.

    The previous question's place (and year, when the follow-up names one) is swapped for the new
    one; a follow-up that names neither is asked about the previous question's subject.
    """
    if not history or not _FOLLOWUP.search(question) or len(question) > 30:
        return question
    previous = history[-1].question
    aliases = sorted(
        {a for d in documents.values() if d.region for a in region_aliases(d.region)},
        key=len,
        reverse=True,
    )
    new_place = next((a for a in aliases if a in question), None)
    new_year = re.search(r"(?:19|20)\d\d年", question)
    rewritten = previous
    if new_place:
        old = next((a for a in aliases if a in previous), None)
        rewritten = rewritten.replace(old, new_place) if old else new_place + rewritten
        # a year belongs to a plan: the new place's plan year replaces the old one
        if not new_year:
            place_docs = [
                d for d in documents.values() if d.region and new_place in region_aliases(d.region)
            ]
            years = {d.year for d in place_docs if d.year}
            if len(years) == 1:
                rewritten = re.sub(r"(?:19|20)\d\d年", f"{years.pop()}年", rewritten, count=1)
    if new_year:
        rewritten = re.sub(r"(?:19|20)\d\d年", new_year.group(), rewritten, count=1)
    if rewritten == previous:
        topic = re.sub(r"^(那|那么|还有|同样)|[呢吗]\s*[??]?$", "", question).strip()
        rewritten = f"{previous} {topic}" if topic else previous
    return rewritten


class RagService:
    """Search and ask over one index with one embedder; thread-safe for concurrent queries."""

    def __init__(self, settings: Settings, embedder: Embedder, index: Index | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self._index = index
        self._idf: dict[str, float] = {}
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
        self._index = index
        self._idf = bigram_idf(c.text for c in index.chunks)

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
    def index(self) -> Index:
        """The loaded index."""
        if self._index is None:
            raise IndexMissingError(
                f"no index loaded from {self.settings.index_dir}; run `rag ingest seeds`"
            )
        return self._index

    def ingest(
        self,
        paths: Sequence[Path],
        keep_others: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> IngestReport:
        """Make the index hold the documents under `paths`; unchanged documents cost nothing.

        With keep_others, documents already indexed from elsewhere stay; otherwise the index is
        exactly what the paths hold.
        """
        began = time.perf_counter()
        documents, failures = ingest_paths(list(paths))
        previous = self._index
        if previous is None:
            try:
                previous = load_index(
                    self.settings.index_dir, self.settings.index_kind, self.settings.hnsw_m
                )
            except (IndexMissingError, IndexMismatchError) as exc:
                logger.info("building a new index: %s", exc)
                previous = None
        if keep_others and previous is not None:
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

    def scope(self, question: str, filters: Filters | None) -> Scope:
        """Which documents the question may be answered from."""
        return resolve_scope(question, self.index.documents, filters or Filters())

    def search(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        fusion: str | None = None,
    ) -> list[Hit]:
        """Ranked passages with score breakdown, steered by the question's place and year."""
        question = validate_question(question, self.settings)
        scope = self.scope(question, filters)
        if scope.empty:
            return []
        return retrieve(
            question, self.index, self.embed_query, self.settings, scope.doc_ids, top_k, fusion
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
        question = validate_question(question, self.settings)
        asked = rewrite_followup(question, history, self.index.documents)
        scope = self.scope(asked, filters)
        t_scope = time.perf_counter()
        index = self.index
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
        t_retrieve = time.perf_counter()
        answer = answer_question(
            asked, hits, scope, index.documents, self._idf, self.settings, search_docs, related
        )
        bad = number_violations(answer)
        if bad:
            # the promise is absolute: an answer whose numbers are not in its quotes is withheld
            logger.error("withheld answer with uncited numbers %s for %r", bad, asked)
            answer = Answer(
                asked, "文档中没有找到可以核对的答案。", True, (), answer.hits, answer.qtype
            )
        t_answer = time.perf_counter()
        timings = {
            "scope": round((t_scope - began) * 1000, 2),
            "retrieve": round((t_retrieve - t_scope) * 1000, 2),
            "answer": round((t_answer - t_retrieve) * 1000, 2),
            "total": round((t_answer - began) * 1000, 2),
        }
        return Answer(
            answer.question if asked == question else asked,
            answer.answer,
            answer.refused,
            answer.citations,
            answer.hits[:shown],
            answer.qtype,
            answer.rows,
            timings,
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
