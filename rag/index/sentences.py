"""One vector per sentence of the chunks (float16), for the answerer's sentence evidence."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rag.index.chunking import sentence_spans
from rag.index.vectors import Vectors
from rag.records import Chunk, Document


class SentenceVectors:
    """One vector per sentence of every chunk, so evidence is scored by meaning, not only words.

    Kept as float16 (half the memory; cosines move by < 1e-3), keyed by (doc_id, start, end).
    """

    def __init__(self, keys: Sequence[tuple[str, int, int]], matrix: npt.NDArray[Any]) -> None:
        if len(keys) != matrix.shape[0]:
            raise ValueError(f"need one key per vector; got {len(keys)} keys, {matrix.shape[0]}")
        self.keys = list(keys)
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float16)
        self._row = {k: n for n, k in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)

    def rows(self, keys: Sequence[tuple[str, int, int]]) -> list[int | None]:
        """The row of each key, or None for a sentence without a vector."""
        return [self._row.get(k) for k in keys]

    def cosines(self, query: Vectors, keys: Sequence[tuple[str, int, int]]) -> list[float | None]:
        """Cosine of the (normalised) query with each keyed sentence; None where unknown."""
        rows = self.rows(keys)
        known = [r for r in rows if r is not None]
        if not known:
            return [None] * len(rows)
        sims = self.matrix[known].astype(np.float32) @ query.reshape(-1).astype(np.float32)
        it = iter(sims.tolist())
        return [next(it) if r is not None else None for r in rows]

    def items(self) -> list[tuple[tuple[str, int, int], Vectors]]:
        """(key, vector) of every sentence, to reuse what is already embedded."""
        return [(k, self.matrix[n].astype(np.float32)) for n, k in enumerate(self.keys)]

    def save(self, directory: Path) -> None:
        """Write keys as JSON and vectors as .npy."""
        with open(directory / "sentences.json", "w", encoding="utf-8") as fh:
            json.dump(self.keys, fh, ensure_ascii=False)
        np.save(directory / "sentence_vectors.npy", self.matrix)

    @classmethod
    def load(cls, directory: Path) -> SentenceVectors:
        """Read what `save` wrote."""
        keys = [tuple(k) for k in json.loads((directory / "sentences.json").read_text("utf-8"))]
        return cls(keys, np.load(directory / "sentence_vectors.npy"))


def sentence_keys(doc: Document, chunks: Sequence[Chunk]) -> list[tuple[str, int, int]]:
    """The distinct sentences of a document's chunks, in order."""
    seen: dict[tuple[str, int, int], None] = {}
    for chunk in chunks:
        for s, e in sentence_spans(doc.text, chunk.start, chunk.end):
            seen.setdefault((doc.doc_id, s, e), None)
    return list(seen)
