"""Dense vector stores: the VectorStore interface, FAISS in process (exact, HNSW or IVF-SQ8),
and the factory that picks a store by setting (Milvus lives in rag/index/milvus.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class VectorStore(Protocol):
    """The swap point for dense search backends (FAISS here; rag/index/milvus.py for Milvus).

    Ids are the chunk rows of the index; `within` restricts a search to some of them (the
    documents a question is scoped to) inside the store, before its top-k is taken."""

    dim: int

    def add(self, ids: Sequence[int], vectors: Vectors) -> None: ...
    def delete(self, ids: Sequence[int]) -> None: ...
    def search(
        self, query: Vectors, k: int, within: npt.NDArray[np.int64] | None = None
    ) -> tuple[Vectors, npt.NDArray[np.int64]]: ...
    def vectors(self) -> tuple[npt.NDArray[np.int64], Vectors]: ...
    def empty_like(self) -> VectorStore: ...
    def save(self, directory: Path) -> None: ...
    def __len__(self) -> int: ...


def checked_rows(
    ids: Sequence[int], vectors: Vectors, dim: int
) -> tuple[npt.NDArray[np.int64], Vectors]:
    """Ids and vectors a store may add: one id per row, rows of `dim` float32."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != dim:
        raise ValueError(f"vectors must have shape (n, {dim}); got {vectors.shape}")
    if len(ids) != vectors.shape[0]:
        raise ValueError(f"need one id per vector; got {len(ids)} ids, {vectors.shape[0]}")
    return np.asarray(ids, dtype=np.int64), vectors


# a scope of at most this many chunks is scored exactly (one matrix product: 50k x 384 floats
# take ~3 ms); a larger one searches the graph with an id selector
EXACT_SCOPE_ROWS = 50_000


def _top(scores: Vectors, k: int) -> npt.NDArray[np.int64]:
    """Positions of the k largest scores, best first (argpartition, then a sort of k)."""
    k = min(k, scores.shape[0])
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")].astype(np.int64)


# the FAISS index kinds `index_kind` may name
FAISS_KINDS = ("flat", "hnsw", "ivf-sq8")


def ivf_lists(n: int) -> int:
    """Inverted lists for an IVF index over n vectors: about sqrt(n) (1,000 at 1M), so a probe
    of 16 lists scans ~1.6 % of the rows, and at least 39 training vectors per list (FAISS's
    own floor); capped at 4,096 so training stays under a minute on two cores."""
    return max(1, min(4096, round(math.sqrt(n)), n // 39))


class FaissIndex:
    """Inner-product search over L2-normalised vectors: exact ("flat"), HNSW or IVF-SQ8.

    Flat and HNSW hold the vectors once, in FAISS's own storage (`vectors()` is a view of it).
    IVF-SQ8 holds one byte per dimension in memory (inverted lists over ~sqrt(n) centroids
    trained at the first add, `nprobe` lists searched per question); its float vectors stay
    as given at build, or memory-mapped from the generation after a load, for exact scoped
    search, saving and rebuilding. Searches run on one FAISS thread, so two questions use
    the two cores."""

    def __init__(
        self,
        dim: int,
        kind: str = "flat",
        hnsw_m: int = 32,
        ef_search: int = 256,
        nprobe: int = 16,
    ) -> None:
        if dim < 1:
            raise ValueError(f"dim must be positive; got {dim}")
        if kind not in FAISS_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAISS_KINDS)}; got {kind!r}")
        if nprobe < 1:
            raise ValueError(f"nprobe must be at least 1; got {nprobe}")
        self.dim, self.kind, self.hnsw_m, self.ef_search = dim, kind, hnsw_m, ef_search
        self.nprobe = nprobe
        self._ids = np.zeros(0, dtype=np.int64)
        self._rows: npt.NDArray[np.int64] | None = None
        self._identity = False
        # IVF-SQ8 only: the float vectors (in memory after a build, memory-mapped after a load)
        self._floats: Vectors = np.zeros((0, dim), dtype=np.float32)
        self._index: Any = self._empty()

    def _empty(self, n: int = 0) -> Any:
        if self.kind == "flat":
            return faiss.IndexFlatIP(self.dim)
        if self.kind == "ivf-sq8":
            if n == 0:
                return None  # trained at the first add, when the number of lists is known
            ivf: Any = faiss.IndexIVFScalarQuantizer(
                faiss.IndexFlatIP(self.dim),
                self.dim,
                ivf_lists(n),
                faiss.ScalarQuantizer.QT_8bit,
                faiss.METRIC_INNER_PRODUCT,
            )
            ivf.nprobe = self.nprobe
            return ivf
        index = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        # measured at 100k chunks: efSearch 64 gives recall@10 0.86, 256 gives 0.97 for 0.6 ms
        index.hnsw.efSearch = self.ef_search
        return index

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def _matrix(self) -> Vectors:
        """The stored vectors, as a view of FAISS's storage (no second copy)."""
        if self.kind == "ivf-sq8":
            return self._floats
        flat: Any = (
            self._index if self.kind == "flat" else faiss.downcast_index(self._index.storage)
        )
        n = int(flat.ntotal)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        view = faiss.rev_swig_ptr(flat.get_xb(), n * self.dim)
        return np.asarray(view).reshape(n, self.dim)

    def add(self, ids: Sequence[int], vectors: Vectors) -> None:
        """Append vectors under the given integer ids."""
        rows, vectors = checked_rows(ids, vectors, self.dim)
        if self.kind == "ivf-sq8":
            self._add_ivf(vectors)
        else:
            self._index.add(vectors)
        self._ids = np.concatenate([self._ids, rows])
        self._rows = None

    def _add_ivf(self, vectors: Vectors) -> None:
        """Encode into the inverted lists; the lists are (re)trained when there are none yet or
        the vectors have grown 4-fold since training (centroids of a few chunks do not
        partition a million)."""
        floats = vectors if not len(self._floats) else np.concatenate([self._floats, vectors])
        index = self._index
        if index is None or (
            index.ntotal * 4 < len(floats) and ivf_lists(len(floats)) > index.nlist
        ):
            index = self._empty(len(floats))
            sample = floats
            most = 64 * index.nlist  # FAISS samples 256 per list; 64 trains 4x faster, same recall
            if len(floats) > most:
                rng = np.random.default_rng(0)
                sample = floats[np.sort(rng.choice(len(floats), most, replace=False))]
            index.train(np.ascontiguousarray(sample))
            index.add(floats)
        else:
            index.add(vectors)
        self._index, self._floats = index, floats

    def delete(self, ids: Sequence[int]) -> None:
        """Remove vectors by id (HNSW cannot delete in place, so the graph is rebuilt)."""
        keep = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
        kept_ids, kept = self._ids[keep], self._matrix()[keep].copy()
        self._ids = np.zeros(0, dtype=np.int64)
        self._index = self._empty()
        self._floats = np.zeros((0, self.dim), dtype=np.float32)
        if len(kept_ids):
            self.add(kept_ids.tolist(), kept)

    def _rows_of(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Storage rows of the given ids (ids are usually the rows themselves)."""
        if self._rows is None:
            self._rows = np.argsort(self._ids, kind="stable")
            n = len(self._ids)
            # ids 0..n-1 in order (every index `build_index` makes): an id is its own row
            self._identity = bool(n == 0 or (self._ids[0] == 0 and self._ids[-1] == n - 1)) and (
                bool(np.array_equal(self._ids, np.arange(n)))
            )
        if self._identity:
            return ids[(ids >= 0) & (ids < len(self._ids))]
        order = self._rows
        found = np.searchsorted(self._ids, ids, sorter=order)
        found = np.clip(found, 0, max(len(order) - 1, 0))
        rows = order[found]
        return rows[self._ids[rows] == ids] if len(order) else rows[:0]

    def search(
        self, query: Vectors, k: int, within: npt.NDArray[np.int64] | None = None
    ) -> tuple[Vectors, npt.NDArray[np.int64]]:
        """Top-k (scores, ids) for each query row, among the ids `within` when given (all
        otherwise); missing slots have id -1."""
        if k < 1:
            raise ValueError(f"k must be at least 1; got {k}")
        query = np.ascontiguousarray(query.reshape(-1, self.dim), dtype=np.float32)
        faiss.omp_set_num_threads(1)
        if within is not None and (self.kind == "flat" or len(within) <= EXACT_SCOPE_ROWS):
            return self._exact(query, k, self._rows_of(np.asarray(within, dtype=np.int64)))
        k = min(k, max(len(self), 1))
        if self._index is None:  # an IVF index with nothing added
            empty = np.full((query.shape[0], k), -1, dtype=np.int64)
            return np.full(empty.shape, -np.inf, dtype=np.float32), empty
        params = None
        if within is not None:
            selector = faiss.IDSelectorBatch(self._rows_of(np.asarray(within, dtype=np.int64)))
            if self.kind == "ivf-sq8":
                # a scope of a fraction f of the rows has ~f of each list: probe 1/f times the
                # lists so as many in-scope rows are scanned as an unscoped question scans
                share = len(within) / max(len(self), 1)
                probe = min(self._index.nlist, math.ceil(self.nprobe / max(share, 1e-9)))
                params = faiss.SearchParametersIVF(  # type: ignore[call-arg]
                    sel=selector, nprobe=probe
                )
            else:
                params = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]
                    sel=selector, efSearch=max(self.ef_search, k)
                )
        scores, rows = self._index.search(query, k, params=params)
        ids = np.where(rows >= 0, self._ids[np.clip(rows, 0, None)], -1)
        return scores.astype(np.float32), ids.astype(np.int64)

    def _exact(
        self, query: Vectors, k: int, rows: npt.NDArray[np.int64]
    ) -> tuple[Vectors, npt.NDArray[np.int64]]:
        k = min(k, max(len(rows), 1))
        out_scores = np.full((query.shape[0], k), -np.inf, dtype=np.float32)
        out_ids = np.full((query.shape[0], k), -1, dtype=np.int64)
        if len(rows) == 0:
            return out_scores, out_ids
        matrix = self._matrix()
        # a small scope gathers its own rows; a large one scores every row in place and picks
        # its own, instead of copying most of the matrix for every question
        if len(rows) <= EXACT_SCOPE_ROWS:
            scores = matrix[rows] @ query.T
        else:
            scores = (matrix @ query.T)[rows]
        for q in range(query.shape[0]):
            best = _top(scores[:, q], k)
            out_scores[q, : len(best)] = scores[best, q]
            out_ids[q, : len(best)] = self._ids[rows[best]]
        return out_scores, out_ids

    def vectors(self) -> tuple[npt.NDArray[np.int64], Vectors]:
        """All (ids, vectors), for saving and for rebuilding another kind."""
        return self._ids, self._matrix()

    def empty_like(self) -> FaissIndex:
        """An empty store of the same kind and dimension."""
        return FaissIndex(self.dim, self.kind, self.hnsw_m, self.ef_search, self.nprobe)

    def save(self, directory: Path) -> None:
        """Write the vectors, and the HNSW graph or IVF lists so a start does not rebuild them."""
        np.save(directory / "vectors.npy", self._matrix())
        np.save(directory / "vector_ids.npy", self._ids)
        if self.kind == "hnsw":
            faiss.write_index(self._index, str(directory / "hnsw.faiss"))
        if self.kind == "ivf-sq8" and self._index is not None:
            faiss.write_index(self._index, str(directory / "ivf-sq8.faiss"))

    @classmethod
    def load(
        cls, directory: Path, dim: int, kind: str, hnsw_m: int, nprobe: int = 16
    ) -> FaissIndex:
        """Read what `save` wrote; an HNSW graph or IVF lists saved with the same vectors are
        reused (IVF-SQ8 maps the float vectors from the file instead of reading them)."""
        index = cls(dim, kind, hnsw_m, nprobe=nprobe)
        ids = np.load(directory / "vector_ids.npy")
        graph = directory / "hnsw.faiss"
        if kind == "hnsw" and graph.exists():
            # read_index gives the concrete class and owns it; a downcast_index of it would be
            # a second, non-owning handle to an index freed with the first (its fields read as
            # garbage, so the check below failed and every start rebuilt the graph)
            stored: Any = faiss.read_index(str(graph))
            if stored.ntotal == len(ids) and stored.d == dim:
                stored.hnsw.efSearch = index.ef_search
                index._index, index._ids = stored, ids.astype(np.int64)
                return index
        lists = directory / "ivf-sq8.faiss"
        if kind == "ivf-sq8" and lists.exists():
            ivf: Any = faiss.read_index(str(lists))
            floats = np.load(directory / "vectors.npy", mmap_mode="r")
            if ivf.ntotal == len(ids) == floats.shape[0] and ivf.d == dim:
                ivf.nprobe = nprobe
                index._index, index._ids, index._floats = ivf, ids.astype(np.int64), floats
                return index
        vectors = np.load(directory / "vectors.npy")
        if vectors.shape[0]:
            index.add(ids.tolist(), vectors)
        return index


def new_store(
    dim: int, kind: str, hnsw_m: int = 32, milvus_uri: str = "", nprobe: int = 16
) -> VectorStore:
    """An empty vector store: FAISS ("flat", "hnsw", "ivf-sq8") or Milvus ("milvus", at
    `milvus_uri`)."""
    if kind == "milvus":
        from rag.index.milvus import MilvusStore

        return MilvusStore(dim, milvus_uri)
    return FaissIndex(dim, kind, hnsw_m, nprobe=nprobe)


def load_store(
    directory: Path,
    dim: int,
    kind: str,
    hnsw_m: int = 32,
    milvus_uri: str = "",
    nprobe: int = 16,
) -> VectorStore:
    """The vector store a generation was saved with."""
    from rag.index.milvus import MilvusStore, is_milvus_generation

    if is_milvus_generation(directory):
        return MilvusStore.load(directory, dim, milvus_uri)
    return FaissIndex.load(directory, dim, "flat" if kind == "milvus" else kind, hnsw_m, nprobe)
