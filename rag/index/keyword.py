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


class KeywordIndex(Protocol):
    """The swap point for keyword search: one score per chunk row for a query's words.

    `name` is the `keyword_index` setting that builds it (and the folder of a generation it
    is saved in); `size` is how many chunk rows it covers."""

    name: str
    size: int

    def scores(self, query: str) -> npt.NDArray[np.float32]: ...
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

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """BM25 score of every chunk for the query (zeros when nothing matches)."""
        query_tokens = tokens(query)
        if not self.size or not query_tokens:
            return np.zeros(self.size, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        known = [t for t in query_tokens if t in vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)


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
