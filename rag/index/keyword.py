"""The keyword index: the KeywordIndex interface, BM25 (bm25s) over jieba words plus Chinese
character bigrams, and the factory that picks one by the `keyword_index` setting."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import bm25s
import numpy as np
import numpy.typing as npt

from rag.lang.text import tokens
from rag.records import Chunk

# bm25s logs every index build at DEBUG through its own handler; that is noise on a terminal
logging.getLogger("bm25s").setLevel(logging.WARNING)

# the keyword indexes `keyword_index` may name
KEYWORD_INDEXES = ("bm25",)


Rows = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float32]


class KeywordIndex(Protocol):
    """The swap point for keyword search: one score per chunk row for a query's words.

    `name` is the `keyword_index` setting that builds it (and the folder of a generation it
    is saved in); `size` is how many chunk rows it covers. `matches` gives the same scores
    as `scores` for only the rows that score above zero (every other row scores 0), so a
    query costs its posting lists, not the size of the index."""

    name: str
    size: int

    def scores(self, query: str) -> Scores: ...
    def matches(self, query: str) -> tuple[Rows, Scores]: ...
    def save(self, directory: Path) -> None: ...


class BM25Index:
    """BM25 (bm25s, Lucene variant) over jieba words plus Chinese character bigrams."""

    name = "bm25"

    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(texts)
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        corpus = [tokens(t) or ["<empty>"] for t in texts]
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def save(self, directory: Path) -> None:
        """Write the BM25 matrices, so loading skips tokenising (100 s at 100k chunks)."""
        if self.size:
            self._bm25.save(str(directory))

    @classmethod
    def load(cls, directory: Path, size: int) -> BM25Index:
        """Read what `save` wrote; the caller knows how many chunks it must cover."""
        index = cls([])
        index._bm25 = bm25s.BM25.load(str(directory))
        index.size = size
        return index

    def _known(self, query: str) -> list[str]:
        """The query's tokens the index has seen, repeats kept (each adds its score again)."""
        if not self.size:
            return []
        vocab = self._bm25.vocab_dict
        return [t for t in tokens(query) if t in vocab]

    def scores(self, query: str) -> Scores:
        """BM25 score of every chunk for the query (zeros when nothing matches)."""
        known = self._known(query)
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def matches(self, query: str) -> tuple[Rows, Scores]:
        """The rows with a score above zero, ascending, and their scores: the query's posting
        lists summed token by token in float32, bit for bit what `scores` gives them."""
        known = self._known(query)
        matrix = self._bm25.scores
        if not known or self._bm25.nonoccurrence_array is not None:
            # a variant that scores absent tokens (BM25L, BM25+) gives every row a score
            full = self.scores(query)
            rows = np.flatnonzero(full > 0)
            return rows.astype(np.int64), full[rows]
        data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
        ids = self._bm25.get_tokens_ids(known)
        spans = [(int(indptr[t]), int(indptr[t + 1])) for t in ids]
        postings = sum(end - start for start, end in spans)
        if postings == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if postings * 16 > self.size:
            # postings that cover much of the index: one full-length sum is cheaper than a sort
            full = np.zeros(self.size, dtype=np.float32)
            for start, end in spans:
                full[indices[start:end]] += data[start:end]
            rows = np.flatnonzero(full)
            return rows.astype(np.int64), full[rows]
        hit = np.concatenate([indices[start:end] for start, end in spans])
        rows, slot = np.unique(hit, return_inverse=True)
        out = np.zeros(rows.size, dtype=np.float32)
        at = 0
        for start, end in spans:
            # a row appears once in a token's posting list, so `+=` adds each posting once
            out[slot[at : at + end - start]] += data[start:end]
            at += end - start
        return rows.astype(np.int64), out


def _check(kind: str) -> None:
    if kind not in KEYWORD_INDEXES:
        raise ValueError(f"keyword_index must be one of {', '.join(KEYWORD_INDEXES)}; got {kind!r}")


def new_keyword_index(texts: Sequence[str], kind: str = "bm25") -> KeywordIndex:
    """A keyword index of the kind a setting names, over one text per chunk row."""
    _check(kind)
    return BM25Index(texts)


def load_keyword_index(directory: Path, size: int, kind: str = "bm25") -> KeywordIndex:
    """The keyword index of kind `kind` that `save` wrote to `directory`, covering `size` rows."""
    _check(kind)
    return BM25Index.load(directory, size)


def keyword_text(chunk: Chunk) -> str:
    """What BM25 sees: the section path (headings carry the topic) and the text."""
    return " ".join(chunk.section_path) + "\n" + chunk.text
