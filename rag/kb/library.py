"""The knowledge bases of a data directory: list, create, delete (to a trash folder, never
erased), a service per base, one service over several, and the undo window of removals."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.config import KB_NAME, Settings
from rag.errors import InputError, NotFoundError
from rag.index.generations import POINTER
from rag.index.keyword import keyword_text, new_keyword_index
from rag.index.sentences import SentenceVectors
from rag.index.store import Index
from rag.records import Document
from rag.service import RagService

logger = logging.getLogger(__name__)


def merge_indexes(indexes: Sequence[Index]) -> Index:
    """One in-memory index over several built with the same model: documents, chunks and
    vectors side by side (a document in two bases counts once), keyword index over all."""
    first = indexes[0]
    documents: dict[str, Document] = {}
    chunks = []
    vectors = []
    keys: list[tuple[str, int, int]] = []
    rows = []
    for index in indexes:
        fresh = {d for d in index.documents if d not in documents}
        documents.update({d: index.documents[d] for d in fresh})
        ids, matrix = index.dense.vectors()
        row_of = {int(i): r for r, i in enumerate(ids)}
        for n, chunk in enumerate(index.chunks):
            if chunk.doc_id in fresh and n in row_of:
                chunks.append(chunk)
                vectors.append(matrix[row_of[n]])
        if index.sentences is not None:
            for key, vec in index.sentences.items():
                if key[0] in fresh:
                    keys.append(key)
                    rows.append(vec)
    dense = first.dense.empty_like()
    if vectors:
        dense.add(list(range(len(chunks))), np.stack(vectors))
    sentences = SentenceVectors(
        keys, np.stack(rows) if rows else np.zeros((0, first.dense.dim), np.float16)
    )
    manifest = {
        **first.manifest,
        "documents": {k: v for i in indexes for k, v in i.manifest.get("documents", {}).items()},
        "chunks": len(chunks),
    }
    keyword = new_keyword_index([keyword_text(c) for c in chunks], first.keyword.name)
    return Index(documents, chunks, dense, keyword, manifest, sentences)


@dataclass(frozen=True)
class Removal:
    """Documents taken out, kept for `undo_seconds` so the removal can be undone."""

    token: str
    kb: str
    documents: tuple[Document, ...]
    until: float


class Library:
    """Every knowledge base under `settings.kbs_dir`, sharing the default service's embedder."""

    def __init__(
        self,
        settings: Settings,
        default: RagService,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.default = default
        self._services: dict[str, RagService] = {settings.kb: default}
        self._merged: dict[tuple[tuple[str, str], ...], RagService] = {}
        self._removals: dict[str, Removal] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def names(self) -> list[str]:
        """Knowledge bases that exist (hold a generation or were created), default first."""
        root = self.settings.kbs_dir
        found = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        rest = [n for n in found if n != self.settings.kb and KB_NAME.fullmatch(n)]
        return [self.settings.kb, *rest]

    def _check(self, name: str) -> str:
        if not KB_NAME.fullmatch(name):
            raise InputError(
                "a knowledge base name is 1-40 letters (Latin or Chinese), digits, '-' or '_'; "
                f"got {name[:60]!r}"
            )
        return name

    def service(self, name: str | None = None) -> RagService:
        """The service of one knowledge base (loaded on first use)."""
        name = self._check(name or self.settings.kb)
        with self._lock:
            if name in self._services:
                return self._services[name]
            if name not in self.names():
                raise NotFoundError(
                    f"unknown knowledge base {name!r}; known: {', '.join(self.names())}"
                )
            service = RagService(self.settings.replace(kb=name), self.default.embedder)
            if (self.settings.kbs_dir / name / POINTER).exists():
                service.load()
            self._services[name] = service
            return service

    def services(self, names: Sequence[str] | None) -> RagService:
        """The service answering over `names` (one base, or an in-memory union of several)."""
        wanted = list(dict.fromkeys(names or [self.settings.kb]))
        parts = [self.service(n) for n in wanted]
        for name, part in zip(wanted, parts, strict=True):
            if part.kb.empty:
                raise InputError(
                    f"knowledge base {name!r} has no documents yet; upload some "
                    f"(POST /api/documents?kb={name}) or `rag --kb {name} ingest PATH`"
                )
        if len(parts) == 1:
            return parts[0]
        for part in parts:
            part.refresh()
        key = tuple((n, p.kb.loaded.generation) for n, p in zip(wanted, parts, strict=True))
        with self._lock:
            if key not in self._merged:
                merged = merge_indexes([p.index for p in parts])
                self._merged = {key: RagService(self.settings, self.default.embedder, merged)}
            return self._merged[key]

    def create(self, name: str) -> None:
        """A new, empty knowledge base; InputError when the name is taken."""
        if name in self.names():
            raise InputError(f"knowledge base {name!r} already exists")
        (self.settings.kbs_dir / self._check(name)).mkdir(parents=True)

    def delete(self, name: str, confirm: str) -> str:
        """Move a knowledge base to data/trash (nothing is erased); `confirm` must repeat its
        name. Returns where it was kept."""
        self._check(name)
        if name == self.settings.kb:
            raise InputError(f"the default knowledge base {name!r} cannot be deleted")
        if name not in self.names():
            raise NotFoundError(f"unknown knowledge base {name!r}")
        if confirm != name:
            raise InputError(
                f"deleting knowledge base {name!r} needs confirm={name!r}; got {confirm!r}"
            )
        trash = self.settings.data_dir / "trash"
        trash.mkdir(parents=True, exist_ok=True)
        target = trash / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        with self._lock:
            service = self._services.pop(name, None)
            self._merged.clear()
        if service is not None:
            with service.kb.generations.writer(self.settings.writer_wait_seconds):
                shutil.move(str(self.settings.kbs_dir / name), target)
        else:
            shutil.move(str(self.settings.kbs_dir / name), target)
        logger.warning("knowledge base %s moved to %s", name, target)
        return str(target)

    def remove(self, kb: str | None, doc_ids: Sequence[str]) -> Removal:
        """Remove documents from a base; they can be put back with `undo` for a while."""
        service = self.services([kb] if kb else None)
        taken = tuple(service.document(d) for d in doc_ids)
        service.remove(doc_ids)
        removal = Removal(
            uuid.uuid4().hex,
            service.kb.name,
            taken,
            self._clock() + self.settings.undo_seconds,
        )
        with self._lock:
            now = self._clock()
            self._removals = {t: r for t, r in self._removals.items() if r.until > now}
            self._removals[removal.token] = removal
        return removal

    def undo(self, token: str) -> Removal:
        """Put back the documents of a removal within its window."""
        with self._lock:
            removal = self._removals.pop(token, None)
        if removal is None or removal.until < self._clock():
            raise NotFoundError(
                f"nothing to undo for token {token[:40]!r} (the window is "
                f"{self.settings.undo_seconds:g} s, setting undo_seconds)"
            )
        self.service(removal.kb).kb.add(removal.documents)
        return dataclasses.replace(removal, until=0.0)
