"""The one place the stages are wired: ingest into an index, then search and ask over it."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answer.answerer import Answerer, make_answerer
from rag.answer.assess import Evidence
from rag.answer.counted import named_elsewhere
from rag.answer.evidence import EvidenceModel, load_model
from rag.answer.extractive import number_violations
from rag.answer.followup import rewrite_followup as rewrite_followup
from rag.answer.question import classify
from rag.answer.several import each_measure, each_place, joined
from rag.config import Settings
from rag.errors import InputError, NotFoundError
from rag.index.store import Index
from rag.index.vectors import Vectors
from rag.kb.base import Embedder, KnowledgeBase, Loaded
from rag.kb.build import IngestReport, Progress
from rag.kb.fingerprint import index_params as index_params
from rag.kb.fingerprint import pipeline_version as pipeline_version
from rag.lang.abbreviations import expand
from rag.lang.normalize import normalise_question
from rag.records import Answer, Document, Hit
from rag.retrieval.retrieve import (
    Filters,
    Scope,
    dated,
    default_scope,
    resolve_scope,
    retrieve,
)
from rag.targets.ask import table_answer
from rag.targets.form import question_form

logger = logging.getLogger(__name__)

# the interrogatives of time (哪一年, 何时, 什么时候): a question asking when is not about one plan
_ASKS_WHEN = re.compile(r"哪一?年|何年|何时|什么时候|几几年")


def about_one_plan(question: str) -> bool:
    """Whether a question that leaves place or year open is about one plan: not one
    asking which document or year says something, comparing, asking across places or years
    (the targets table's forms) or asking when."""
    if classify(question) in ("which_doc", "compare") or _ASKS_WHEN.search(question):
        return False
    return question_form(question) is None


def compares_years(question: str, scope: Scope) -> bool:
    """Whether the question compares years it names without naming a place (「2023年和2024年
    GDP分别增长了多少?」): the years of one place, so the default place applies to it as to a
    question about one plan (its years are named, so none is narrowed)."""
    return bool(scope.years) and not scope.per_region and classify(question) == "compare"


@dataclass(frozen=True)
class Turn:
    """A previous exchange of the conversation."""

    question: str
    answer: str = ""


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
    # the scope was narrowed by default_scope (the question leaves place or year open): a
    # refusal there is asked again over the whole scope (RagService.ask)
    narrowed: bool = False


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
        self.answerer: Answerer = make_answerer(settings.answerer)
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
        self.kb = KnowledgeBase(settings, embedder, self._forget_queries)
        if index is not None:
            self.kb.adopt(index)
            self.kb.detached = True

    # --- index lifecycle (the knowledge base's) -----------------------------------------

    def _forget_queries(self) -> None:
        with self._lock:
            self._cache.clear()

    def load(self) -> None:
        """Load the saved index; IndexMissingError or IndexMismatchError say what to do."""
        self.kb.load()

    def load_or_build(self) -> None:
        """Load the index, building it from the seeds only when that drops nothing."""
        self.kb.load_or_build()

    def refresh(self) -> bool:
        """Adopt a generation another writer switched in (see KnowledgeBase.refresh)."""
        return self.kb.refresh()

    def ingest(self, paths: Sequence[Path], progress: Progress | None = None) -> IngestReport:
        """Add or update the documents under `paths` (see KnowledgeBase.ingest)."""
        return self.kb.ingest(paths, progress)

    def remove(self, doc_ids: Sequence[str]) -> IngestReport:
        """Remove documents by id (see KnowledgeBase.remove)."""
        return self.kb.remove(doc_ids)

    @property
    def loaded(self) -> Loaded:
        """The loaded index and its derived facts."""
        return self.kb.loaded

    @property
    def index(self) -> Index:
        """The loaded index."""
        return self.kb.index

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
        question = expand(question, [d.text for d in self.index.documents.values()])
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
        narrow: bool = True,
    ) -> Prepared:
        """Everything the answerer reads for a question: the resolved question, its scope, the
        passages and the evidence context (also what `rag calibrate` fits the model on).

        With `narrow`, a question about one plan that leaves its place or year open is scoped
        to the country's reports or each place's newest plan (see default_scope)."""
        question = normalise_question(validate_question(question, self.settings))
        self.refresh()
        loaded = self.loaded
        index = loaded.index
        asked = rewrite_followup(question, history, index.documents)
        asked = expand(asked, [d.text for d in index.documents.values()])
        began = time.perf_counter()
        scope = self.scope(asked, filters, loaded)
        narrowed = default_scope(asked, scope, index.documents) if narrow else None
        if (
            narrowed is not None
            and (about_one_plan(asked) or compares_years(asked, scope))
            and not named_elsewhere(asked, narrowed, scope, index.documents)
        ):
            scope = narrowed
        else:
            narrowed = None
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
            # the answer reads 今年/去年 as the years of the plans in scope; the passages and
            # the evidence vector are those of the words asked
            dated(asked, scope, index.documents),
            loaded,
            scope,
            hits,
            related,
            evidence,
            search_docs,
            shown,
            round(scope_ms, 2),
            narrowed is not None,
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
        typed = normalise_question(validate_question(question, self.settings))
        # several measures or places asked side by side: each is its own question, answered on
        # its own line (a question across the table's places, 各省 and the like, is the table's)
        several = each_measure(typed) or ([] if question_form(typed) else each_place(typed))
        if several:
            answers = [self.ask(one.question, top_k, filters, history, fusion) for one in several]
            total = round((time.perf_counter() - began) * 1000, 2)
            answer = joined(question, several, answers)
            shown = self.settings.top_k if top_k is None else top_k
            return dataclasses.replace(
                answer, hits=answer.hits[:shown], timings_ms={"total": total}
            )
        p = self.prepare(question, top_k, filters, history, fusion)
        t_retrieve = time.perf_counter()
        answer = self.answer_prepared(p)
        if answer.refused and p.narrowed:
            # the country's or the newest plans do not say: another place's or year's may
            p = self.prepare(question, top_k, filters, history, fusion, narrow=False)
            t_retrieve = time.perf_counter()
            answer = self.answer_prepared(p)
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

    def answer_prepared(self, p: Prepared, evidence: Evidence | None = None) -> Answer:
        """The answer stage of `ask` for a prepared question (`evidence` replaces the prepared
        one, as `rag calibrate` does to try acceptance thresholds): the targets table, else
        the extractive answerer; an answer whose numbers are not in its quotes is withheld."""
        limit = self.settings.max_quote_chars
        answer = table_answer(p.asked, p.loaded, p.scope, limit) or self.answerer(
            p.asked,
            p.hits,
            p.scope,
            p.loaded.index.documents,
            p.loaded.idf,
            self.settings,
            p.search_docs,
            p.related,
            evidence or p.evidence,
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
        return answer

    def documents(self) -> list[Document]:
        """All indexed documents."""
        return list(self.index.documents.values())

    def document(self, doc_id: str) -> Document:
        """One document by id, or InputError naming the known ids."""
        docs = self.index.documents
        if doc_id not in docs:
            raise NotFoundError(f"unknown document {doc_id!r}; known: {', '.join(sorted(docs))}")
        return docs[doc_id]
