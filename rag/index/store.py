"""Dense (FAISS) and keyword (BM25) indexes over chunks, saved atomically with a manifest."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import bm25s
import faiss
import numpy as np
import numpy.typing as npt

from rag import __version__
from rag.errors import IndexDamagedError, IndexMissingError
from rag.index import generations
from rag.index.chunking import sentence_spans
from rag.index.generations import Generations, seal, verify
from rag.lang.text import analyzer_version, tokens
from rag.records import Chunk, Document, Section

logger = logging.getLogger(__name__)
# bm25s logs every index build at DEBUG through its own handler; that is noise on a terminal
logging.getLogger("bm25s").setLevel(logging.WARNING)

FORMAT_VERSION = 2
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


class FaissIndex:
    """Inner-product search over L2-normalised vectors: exact ("flat") or HNSW.

    The vectors live once, in FAISS's own storage (`vectors()` is a view of it); searches run
    on one FAISS thread, so two questions use the two cores."""

    def __init__(
        self, dim: int, kind: str = "flat", hnsw_m: int = 32, ef_search: int = 256
    ) -> None:
        if dim < 1:
            raise ValueError(f"dim must be positive; got {dim}")
        if kind not in {"flat", "hnsw"}:
            raise ValueError(f"kind must be flat or hnsw; got {kind!r}")
        self.dim, self.kind, self.hnsw_m, self.ef_search = dim, kind, hnsw_m, ef_search
        self._ids = np.zeros(0, dtype=np.int64)
        self._rows: npt.NDArray[np.int64] | None = None
        self._index: Any = self._empty()

    def _empty(self) -> Any:
        if self.kind == "flat":
            return faiss.IndexFlatIP(self.dim)
        index = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        # measured at 100k chunks: efSearch 64 gives recall@10 0.86, 256 gives 0.97 for 0.6 ms
        index.hnsw.efSearch = self.ef_search
        return index

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def _matrix(self) -> Vectors:
        """The stored vectors, as a view of FAISS's storage (no second copy)."""
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
        self._ids = np.concatenate([self._ids, rows])
        self._index.add(vectors)
        self._rows = None

    def delete(self, ids: Sequence[int]) -> None:
        """Remove vectors by id (HNSW cannot delete in place, so the graph is rebuilt)."""
        keep = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
        kept_ids, kept = self._ids[keep], self._matrix()[keep].copy()
        self._ids = np.zeros(0, dtype=np.int64)
        self._index = self._empty()
        if len(kept_ids):
            self.add(kept_ids.tolist(), kept)

    def _rows_of(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Storage rows of the given ids (ids are usually the rows themselves)."""
        if self._rows is None:
            self._rows = np.argsort(self._ids, kind="stable")
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
        params = None
        if within is not None:
            selector = faiss.IDSelectorBatch(self._rows_of(np.asarray(within, dtype=np.int64)))
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
        scores = self._matrix()[rows] @ query.T
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
        return FaissIndex(self.dim, self.kind, self.hnsw_m, self.ef_search)

    def save(self, directory: Path) -> None:
        """Write the vectors, and the HNSW graph so a start does not rebuild it."""
        np.save(directory / "vectors.npy", self._matrix())
        np.save(directory / "vector_ids.npy", self._ids)
        if self.kind == "hnsw":
            faiss.write_index(self._index, str(directory / "hnsw.faiss"))

    @classmethod
    def load(cls, directory: Path, dim: int, kind: str, hnsw_m: int) -> FaissIndex:
        """Read what `save` wrote; an HNSW graph saved with the same vectors is reused."""
        index = cls(dim, kind, hnsw_m)
        ids = np.load(directory / "vector_ids.npy")
        graph = directory / "hnsw.faiss"
        if kind == "hnsw" and graph.exists():
            stored: Any = faiss.downcast_index(faiss.read_index(str(graph)))
            if stored.ntotal == len(ids) and stored.d == dim:
                stored.hnsw.efSearch = index.ef_search
                index._index, index._ids = stored, ids.astype(np.int64)
                return index
        vectors = np.load(directory / "vectors.npy")
        if vectors.shape[0]:
            index.add(ids.tolist(), vectors)
        return index


def new_store(dim: int, kind: str, hnsw_m: int = 32, milvus_uri: str = "") -> VectorStore:
    """An empty vector store: FAISS ("flat", "hnsw") or Milvus ("milvus", at `milvus_uri`)."""
    if kind == "milvus":
        from rag.index.milvus import MilvusStore

        return MilvusStore(dim, milvus_uri)
    return FaissIndex(dim, kind, hnsw_m)


def load_store(
    directory: Path, dim: int, kind: str, hnsw_m: int = 32, milvus_uri: str = ""
) -> VectorStore:
    """The vector store a generation was saved with."""
    from rag.index.milvus import MilvusStore, is_milvus_generation

    if is_milvus_generation(directory):
        return MilvusStore.load(directory, dim, milvus_uri)
    return FaissIndex.load(directory, dim, "flat" if kind == "milvus" else kind, hnsw_m)


class KeywordIndex:
    """BM25 (bm25s, Lucene variant) over jieba words plus Chinese character bigrams."""

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
    def load(cls, directory: Path, size: int) -> KeywordIndex:
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


@dataclass
class Index:
    """Everything a query needs: documents, chunks, dense and keyword indexes, manifest."""

    documents: dict[str, Document]
    chunks: list[Chunk]
    dense: VectorStore
    keyword: KeywordIndex
    manifest: dict[str, Any]
    sentences: SentenceVectors | None = None
    _doc_codes: npt.NDArray[np.int32] | None = field(default=None, repr=False, compare=False)
    _doc_names: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def chunk_rows(self, doc_ids: set[str] | frozenset[str] | None) -> npt.NDArray[np.bool_]:
        """Mask of chunks belonging to the given documents (all when None): one vectorised
        lookup of the documents' codes, not a loop over the chunks."""
        if doc_ids is None:
            return np.ones(len(self.chunks), dtype=bool)
        if self._doc_codes is None:
            names = {d: n for n, d in enumerate(dict.fromkeys(c.doc_id for c in self.chunks))}
            self._doc_names = names
            self._doc_codes = np.fromiter(
                (names[c.doc_id] for c in self.chunks), dtype=np.int32, count=len(self.chunks)
            )
        codes = [self._doc_names[d] for d in doc_ids if d in self._doc_names]
        return np.isin(self._doc_codes, np.asarray(codes, dtype=np.int32))


def keyword_text(chunk: Chunk) -> str:
    """What BM25 sees: the section path (headings carry the topic) and the text."""
    return " ".join(chunk.section_path) + "\n" + chunk.text


def _versions() -> dict[str, str]:
    out = {"plan-rag": __version__}
    for name in ("faiss-cpu", "bm25s", "jieba", "numpy", "sentence-transformers", "transformers"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def make_manifest(
    documents: dict[str, Document],
    chunks: list[Chunk],
    model: str,
    dim: int,
    params: dict[str, Any],
) -> dict[str, Any]:
    """What built this index: model, parameters, per-document hashes, package versions."""
    per_doc: dict[str, dict[str, Any]] = {
        d.doc_id: {"source": d.source, "sha256": d.sha256, "chunks": 0} for d in documents.values()
    }
    for chunk in chunks:
        per_doc[chunk.doc_id]["chunks"] += 1
    return {
        "format_version": FORMAT_VERSION,
        "model": model,
        "dim": dim,
        "params": params,
        "documents": per_doc,
        "chunks": len(chunks),
        "versions": _versions(),
        "analyzer": analyzer_version(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _document_json(doc: Document) -> dict[str, Any]:
    data = asdict(doc)
    data["sections"] = [asdict(s) for s in doc.sections]
    return data


def _document_from_json(data: dict[str, Any]) -> Document:
    sections = tuple(Section(**{**s, "path": tuple(s["path"])}) for s in data.pop("sections", []))
    return Document(**data, sections=sections)


def write_index(index: Index, directory: Path) -> str:
    """Write the index's files into an empty `directory`, then seal it (sizes and sha256 of
    every file in the manifest, written last). Returns the manifest's sha256."""
    with open(directory / "documents.json", "w", encoding="utf-8") as fh:
        json.dump([_document_json(d) for d in index.documents.values()], fh, ensure_ascii=False)
    generations.step("documents written")
    with open(directory / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for chunk in index.chunks:
            fh.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
    generations.step("chunks written")
    index.dense.save(directory)
    generations.step("vectors written")
    index.keyword.save(directory / "bm25")
    generations.step("keyword index written")
    if index.sentences is not None:
        index.sentences.save(directory)
        generations.step("sentence vectors written")
    return seal(directory, index.manifest)


def save_index(index: Index, target: Generations) -> Path:
    """Write the index as a new generation of `target` and switch it in (hold the writer
    lock)."""
    return target.commit(lambda directory: write_index(index, directory))


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest of the index at `directory`, or None when there is none."""
    path = directory / "manifest.json"
    if not path.exists():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexDamagedError(
            f"index manifest {path} is unreadable ({exc}); repair with `rag verify --repair`"
        ) from exc
    return data


def check_compatible(
    manifest: dict[str, Any], model: str, dim: int, params: dict[str, Any]
) -> str | None:
    """Why an index cannot serve these settings, or None when it can."""
    if manifest.get("format_version") != FORMAT_VERSION:
        return f"index format {manifest.get('format_version')} != {FORMAT_VERSION}"
    if manifest.get("model") != model:
        return f"index built with model {manifest.get('model')!r}, settings use {model!r}"
    if manifest.get("dim") != dim:
        return f"index dimension {manifest.get('dim')} != model dimension {dim}"
    if manifest.get("params") != params:
        return f"index parameters {manifest.get('params')} != settings {params}"
    return None


def load_index(
    directory: Path,
    kind: str = "flat",
    hnsw_m: int = 32,
    manifest_sha256: str | None = None,
    full_check: bool = True,
    milvus_uri: str = "",
) -> Index:
    """Read an index written by `write_index`, after checking every file against the sizes and
    hashes its manifest records (`full_check=False`: sizes only). IndexDamagedError names the
    first damaged file."""
    sealed = manifest_sha256 is not None and (directory / "manifest.json").exists()
    manifest = None if sealed else read_manifest(directory)
    if not sealed and manifest is None:
        raise IndexMissingError(
            f"no index in {directory}; build one with `rag ingest seeds` (or `make index`)"
        )
    if sealed or "files" in (manifest or {}):
        problems = verify(directory, manifest_sha256, full_check)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise IndexDamagedError(
                f"index damaged: {problems[0]}{more}; repair with `rag verify --repair`"
            )
    manifest = manifest or read_manifest(directory) or {}
    try:
        docs_raw = json.loads((directory / "documents.json").read_text(encoding="utf-8"))
        documents = {d["doc_id"]: _document_from_json(d) for d in docs_raw}
        chunks = []
        with open(directory / "chunks.jsonl", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                row["section_path"] = tuple(row["section_path"])
                chunks.append(Chunk(**row))
        dense = load_store(directory, int(manifest["dim"]), kind, hnsw_m, milvus_uri)
        sentences = SentenceVectors.load(directory)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise IndexDamagedError(
            f"index in {directory} is damaged ({exc}); repair with `rag verify --repair`"
        ) from exc
    if len(dense) != len(chunks):
        raise IndexDamagedError(
            f"index in {directory} has {len(dense)} vectors for {len(chunks)} chunks; rebuild it"
        )
    keyword: KeywordIndex | None = None
    saved_with, current = manifest.get("analyzer"), analyzer_version()
    if saved_with != current:
        # the vectors are still good; only the keyword tokens follow the dictionary
        logger.warning(
            "keyword index in %s was tokenised by analyzer %s, now %s: re-tokenising "
            "(run `rag ingest` to save it)",
            directory,
            saved_with,
            current,
        )
    else:
        try:
            keyword = KeywordIndex.load(directory / "bm25", len(chunks))
        except (OSError, ValueError, KeyError) as exc:
            logger.info("rebuilding the keyword index (%s)", exc)
    if keyword is None:
        keyword = KeywordIndex([keyword_text(c) for c in chunks])
    return Index(documents, chunks, dense, keyword, manifest, sentences)


def load_documents(directory: Path, manifest_sha256: str | None) -> dict[str, Document]:
    """Only the stored documents of a generation, checked against its manifest: what a repair
    rebuilds from when other files of the generation are damaged."""
    manifest = read_manifest(directory)
    if manifest is None or "files" not in manifest:
        raise IndexMissingError(f"no sealed manifest in {directory}")
    problems = verify(directory, manifest_sha256, only={"documents.json"})
    if problems:
        raise IndexDamagedError(f"stored documents damaged: {problems[0]}")
    docs_raw = json.loads((directory / "documents.json").read_text(encoding="utf-8"))
    return {d["doc_id"]: _document_from_json(d) for d in docs_raw}


_EMBEDDING_PARAMS = ("query_prompt", "passage_prompt")


def _vector_cache(
    previous: Index | None, model: str, dim: int, params: dict[str, Any]
) -> dict[str, Vectors]:
    """Vectors of the previous index by the text they embed, when the same model and prompts
    made them: a text embeds to the same vector whatever chunking or metadata code changed."""
    if previous is None:
        return {}
    manifest = previous.manifest
    same = (
        manifest.get("model") == model
        and manifest.get("dim") == dim
        and all(manifest.get("params", {}).get(k) == params.get(k) for k in _EMBEDDING_PARAMS)
    )
    if not same:
        return {}
    cache: dict[str, Vectors] = {}
    ids, vecs = previous.dense.vectors()
    row_of = {int(i): r for r, i in enumerate(ids)}
    for n, chunk in enumerate(previous.chunks):
        if n in row_of:
            cache[chunk.embed_text] = vecs[row_of[n]]
    if previous.sentences is not None:
        for (doc_id, start, end), vec in previous.sentences.items():
            doc = previous.documents.get(doc_id)
            if doc is not None:
                cache["\x00" + doc.text[start:end]] = vec
    return cache


def build_index(
    documents: Sequence[Document],
    chunker: Callable[[Document], list[Chunk]],
    embed: Callable[[list[str]], Vectors],
    model: str,
    dim: int,
    params: dict[str, Any],
    kind: str = "flat",
    hnsw_m: int = 32,
    previous: Index | None = None,
    milvus_uri: str = "",
) -> tuple[Index, int]:
    """Index the documents; a chunk or sentence whose text `previous` already embedded with the
    same model is not embedded again.

    Returns the index and how many texts (chunks and sentences) had to be embedded.
    """
    cache = _vector_cache(previous, model, dim, params)
    chunks = [
        Chunk(**{**asdict(c), "chunk_id": f"{c.doc_id}:{n}", "section_path": c.section_path})
        for n, c in enumerate(c for doc in documents for c in chunker(doc))
    ]
    docs = {d.doc_id: d for d in documents}
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    keys = [k for d in documents for k in sentence_keys(d, by_doc.get(d.doc_id, []))]
    # sentences are keyed apart from chunks: a one-sentence chunk embeds its heading path too
    texts = [c.embed_text for c in chunks] + ["\x00" + docs[k[0]].text[k[1] : k[2]] for k in keys]
    todo = list(dict.fromkeys(t for t in texts if t not in cache))
    if todo:
        fresh = embed([t.removeprefix("\x00") for t in todo])
        cache.update(zip(todo, fresh, strict=True))
    dense = new_store(dim, kind, hnsw_m, milvus_uri)
    if chunks:
        matrix = np.stack([cache[c.embed_text] for c in chunks]).astype(np.float32)
        dense.add(list(range(len(chunks))), matrix)
    sentence_matrix = (
        np.stack([cache["\x00" + docs[k[0]].text[k[1] : k[2]]] for k in keys])
        if keys
        else np.zeros((0, dim), np.float32)
    )
    manifest = make_manifest(docs, chunks, model, dim, params)
    manifest["sentences"] = len(keys)
    keyword = KeywordIndex([keyword_text(c) for c in chunks])
    index = Index(docs, chunks, dense, keyword, manifest, SentenceVectors(keys, sentence_matrix))
    return index, len(todo)
