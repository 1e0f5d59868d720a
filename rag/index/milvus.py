"""Milvus as the vector store (`vector_store = "milvus"`): milvus-lite in a local file for tests
and small installs, a Milvus server (standalone or distributed) by URI for scale.

The generation on disk stays the source of truth: its `vectors.npy` is written and sealed as
with FAISS, and `milvus.json` names the collection that serves it. The collection's name is
derived from the vectors' content, so a start attaches to the collection when it holds them and
re-inserts them from the generation when it does not (a new server, a wiped database). A scope
travels into Milvus as a boolean expression on the chunk ids.

Keyword search stays in the project's BM25 (jieba + bigrams): milvus-lite 3.2.2's jieba
analyzer returned 0-1 rows for `text_match` and negative BM25 scores when measured.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rag.index.vectors import Vectors, checked_rows

_BATCH = 2_000
_META = "milvus.json"


def _client(uri: str) -> Any:
    from pymilvus import MilvusClient

    return MilvusClient(uri)


class MilvusStore:
    """Inner-product search over L2-normalised vectors in one Milvus collection."""

    kind = "milvus"

    def __init__(self, dim: int, uri: str, collection: str | None = None) -> None:
        if dim < 1:
            raise ValueError(f"dim must be positive; got {dim}")
        self.dim, self.uri = dim, uri
        self.collection = collection or ""
        self._client = _client(uri)
        self._ids = np.zeros(0, dtype=np.int64)
        self._vectors = np.zeros((0, dim), dtype=np.float32)

    # --- collection ---------------------------------------------------------------------

    def _create(self, name: str) -> None:
        from pymilvus import DataType

        if self._client.has_collection(name):
            self._client.drop_collection(name)
        schema = self._client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        params = self._client.prepare_index_params()
        params.add_index("vector", index_type="FLAT", metric_type="IP")
        self._client.create_collection(name, schema=schema, index_params=params)

    def _name(self) -> str:
        digest = hashlib.sha256(self._ids.tobytes() + self._vectors.tobytes()).hexdigest()
        return f"rag_{self.dim}_{digest[:24]}"

    def _sync(self) -> None:
        """Make the collection hold exactly the vectors (content-named: reused when it does)."""
        name = self._name()
        if name == self.collection:
            return
        if not self._client.has_collection(name) or self._count(name) != len(self._ids):
            self._create(name)
            for start in range(0, len(self._ids), _BATCH):
                rows = [
                    {"id": int(i), "vector": v.tolist()}
                    for i, v in zip(
                        self._ids[start : start + _BATCH],
                        self._vectors[start : start + _BATCH],
                        strict=True,
                    )
                ]
                self._client.insert(name, rows)
        self.collection = name

    def _count(self, name: str) -> int:
        return int(self._client.get_collection_stats(name).get("row_count", -1))

    # --- VectorStore --------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def add(self, ids: Sequence[int], vectors: Vectors) -> None:
        """Append vectors under the given integer ids."""
        rows, vectors = checked_rows(ids, vectors, self.dim)
        self._ids = np.concatenate([self._ids, rows])
        self._vectors = np.concatenate([self._vectors, vectors])
        self.collection = ""

    def delete(self, ids: Sequence[int]) -> None:
        """Remove vectors by id."""
        keep = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
        self._ids, self._vectors = self._ids[keep], self._vectors[keep]
        self.collection = ""

    def search(
        self, query: Vectors, k: int, within: npt.NDArray[np.int64] | None = None
    ) -> tuple[Vectors, npt.NDArray[np.int64]]:
        """Top-k (scores, ids) per query row among `within` (all when None); -1 pads."""
        if k < 1:
            raise ValueError(f"k must be at least 1; got {k}")
        self._sync()
        query = np.ascontiguousarray(query.reshape(-1, self.dim), dtype=np.float32)
        k = min(k, max(len(self) if within is None else len(within), 1))
        out_scores = np.full((query.shape[0], k), -np.inf, dtype=np.float32)
        out_ids = np.full((query.shape[0], k), -1, dtype=np.int64)
        if len(self) == 0 or (within is not None and len(within) == 0):
            return out_scores, out_ids
        expression = "" if within is None else f"id in [{','.join(map(str, within.tolist()))}]"
        results = self._client.search(
            self.collection,
            data=[q.tolist() for q in query],
            limit=k,
            filter=expression,
            output_fields=["id"],
        )
        for q, hits in enumerate(results):
            for n, hit in enumerate(hits[:k]):
                out_scores[q, n] = float(hit["distance"])
                out_ids[q, n] = int(hit["id"])
        return out_scores, out_ids

    def vectors(self) -> tuple[npt.NDArray[np.int64], Vectors]:
        """All (ids, vectors), as the generation stores them."""
        return self._ids, self._vectors

    def empty_like(self) -> MilvusStore:
        """An empty store on the same server."""
        return MilvusStore(self.dim, self.uri)

    def save(self, directory: Path) -> None:
        """The vectors (the generation's own copy) and the collection serving them."""
        self._sync()
        np.save(directory / "vectors.npy", self._vectors)
        np.save(directory / "vector_ids.npy", self._ids)
        (directory / _META).write_text(
            json.dumps({"collection": self.collection, "dim": self.dim}), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path, dim: int, uri: str) -> MilvusStore:
        """Attach to the collection holding the generation's vectors, or fill a new one."""
        store = cls(dim, uri)
        store._ids = np.load(directory / "vector_ids.npy").astype(np.int64)
        store._vectors = np.load(directory / "vectors.npy").astype(np.float32)
        store._sync()
        return store


def is_milvus_generation(directory: Path) -> bool:
    """True when the generation was served by Milvus."""
    return (directory / _META).exists()
