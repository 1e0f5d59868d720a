"""The index of a knowledge base: documents, chunks, a vector store, the keyword index and
sentence vectors; built, written as a sealed generation, read back and checked."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rag import __version__
from rag.errors import IndexDamagedError, IndexMissingError
from rag.index import generations
from rag.index.generations import Generations, seal, verify
from rag.index.keyword import KeywordIndex, keyword_text, load_keyword_index, new_keyword_index
from rag.index.sentences import SentenceVectors, sentence_keys
from rag.index.vectors import Vectors, VectorStore, load_store, new_store
from rag.lang.text import analyzer_version
from rag.records import Chunk, Document, Section

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2


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
    # chunk rows grouped by document (a stable sort of the codes) and where each group starts
    _by_doc: npt.NDArray[np.int64] | None = field(default=None, repr=False, compare=False)
    _doc_starts: npt.NDArray[np.int64] | None = field(default=None, repr=False, compare=False)

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
        allowed = np.zeros(len(self._doc_names) + 1, dtype=bool)
        allowed[codes] = True
        return allowed[self._doc_codes]

    def rows_of(self, doc_ids: set[str] | frozenset[str] | None) -> npt.NDArray[np.int64]:
        """Ascending chunk rows of the given documents (all when None), gathered from each
        document's own rows: the cost follows the scope, not the size of the index."""
        if doc_ids is None:
            return np.arange(len(self.chunks), dtype=np.int64)
        if self._by_doc is None or self._doc_starts is None:
            self.chunk_rows(set())  # the per-chunk document codes
            assert self._doc_codes is not None
            self._by_doc = np.argsort(self._doc_codes, kind="stable").astype(np.int64)
            self._doc_starts = np.searchsorted(
                self._doc_codes[self._by_doc], np.arange(len(self._doc_names) + 1)
            ).astype(np.int64)
        starts = self._doc_starts
        codes = sorted(self._doc_names[d] for d in doc_ids if d in self._doc_names)
        parts = [self._by_doc[starts[c] : starts[c + 1]] for c in codes]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


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
    index.keyword.save(directory / index.keyword.name)
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
    keyword_kind: str = "bm25",
    nprobe: int = 16,
) -> Index:
    """Read an index written by `write_index`, after checking every file against the sizes and
    hashes its manifest records (`full_check=False`: sizes only). IndexDamagedError names the
    first damaged file. A keyword index of `keyword_kind` that was not saved is built."""
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
        dense = load_store(directory, int(manifest["dim"]), kind, hnsw_m, milvus_uri, nprobe)
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
            keyword = load_keyword_index(directory / keyword_kind, len(chunks), keyword_kind)
        except (OSError, ValueError, KeyError) as exc:
            logger.info("rebuilding the keyword index (%s)", exc)
    if keyword is None:
        keyword = new_keyword_index([keyword_text(c) for c in chunks], keyword_kind)
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
    keyword_kind: str = "bm25",
    nprobe: int = 16,
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
    dense = new_store(dim, kind, hnsw_m, milvus_uri, nprobe)
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
    keyword = new_keyword_index([keyword_text(c) for c in chunks], keyword_kind)
    index = Index(docs, chunks, dense, keyword, manifest, SentenceVectors(keys, sentence_matrix))
    return index, len(todo)
