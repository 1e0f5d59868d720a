"""Retrieval at scale: synthetic chunks, hybrid retrieve() with and without a scope.

    python bench/scale.py [--sizes 10000,100000,1000000] [--kinds flat,hnsw,ivf-sq8]
                          [--queries 60] [--cache DIR]

For each size and store kind: build seconds (the store alone; tokenising the texts is
reported once per size), the store's resident size, start-up (loading the saved store), peak
RSS, hybrid retrieve() p50/p95 (the query embedding excluded: vectors are given), the same for
a question scoped to ~1 % of the documents, and recall@10 of the dense top-10 against exact
search (unscoped and scoped), with the load average next to each row. Texts are made of
Chinese bigrams drawn from the seed plans so BM25 sees realistic tokens; vectors are clustered
(256 topics, a chunk's cosine to its topic ~0.7) and questions lie near a chunk, as real
embeddings do (uniform random vectors have no neighbours for an approximate index to find).
Figures to read, not tests: nothing here asserts.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))

from rag.config import Settings, load_settings  # noqa: E402
from rag.index.keyword import BM25Index, keyword_text  # noqa: E402
from rag.index.store import Index  # noqa: E402
from rag.index.vectors import FaissIndex, new_store  # noqa: E402
from rag.records import Chunk, Document  # noqa: E402
from rag.retrieval.retrieve import retrieve  # noqa: E402

DIM = 384
CHUNKS_PER_DOC = 300


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _unit(x: np.ndarray) -> np.ndarray:
    unit: np.ndarray = (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)
    return unit


TOPICS = 256


def _vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    """Clustered unit vectors: a topic direction plus as much noise again."""
    topics = _unit(rng.normal(size=(TOPICS, DIM)))
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        noise = _unit(rng.normal(size=(m, DIM)))
        out[start : start + m] = _unit(topics[rng.integers(0, TOPICS, m)] + noise)
    return out


def _resident_mb(directory: Path, kind: str) -> float:
    """What a loaded store keeps in memory: the vectors (flat), the graph with its vectors
    (HNSW) or the 8-bit codes and centroids (IVF-SQ8; its float vectors stay mapped)."""
    name = {"flat": "vectors.npy", "hnsw": "hnsw.faiss", "ivf-sq8": "ivf-sq8.faiss"}[kind]
    return (directory / name).stat().st_size / 2**20


def _vocabulary() -> list[str]:
    text = "".join(p.read_text("utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    hans = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    return sorted({a + b for a, b in itertools.pairwise(hans)})


def _corpus(
    n: int, rng: np.random.Generator, cache: Path | None = None
) -> tuple[Index, np.ndarray]:
    vocab = np.array(_vocabulary())
    docs = max(1, n // CHUNKS_PER_DOC)
    words = rng.integers(0, len(vocab), size=(n, 12))
    chunks, documents = [], {}
    for d in range(docs):
        documents[f"d{d}"] = Document(f"d{d}", f"d{d}.txt", "", f"文档{d}", "")
    for i in range(n):
        text = "".join(vocab[words[i]])
        doc = f"d{i % docs}"
        chunks.append(Chunk(f"{doc}:{i}", doc, f"{doc}.txt", "s1", ("一、",), 0, 0, text, text))
    vecs = _vectors(n, rng)
    # tokenising is most of a large build (~14 min at 1M chunks): a cache keeps the BM25
    # matrices of a size (the texts are the same for a size: the generator is seeded with it)
    saved = cache / f"bm25-{n}" if cache is not None else None
    if saved is not None and saved.exists():
        keyword = BM25Index.load(saved, n)
    else:
        keyword = BM25Index([keyword_text(c) for c in chunks])
        if saved is not None:
            saved.mkdir(parents=True, exist_ok=True)
            keyword.save(saved)
    dense = FaissIndex(DIM)  # replaced per kind
    return Index(documents, chunks, dense, keyword, {}), vecs


def run(
    n: int, kinds: list[str], queries: int, settings: Settings, cache: Path | None = None
) -> None:
    rng = np.random.default_rng(n)
    began = time.perf_counter()
    index, vecs = _corpus(n, rng, cache)
    text_s = time.perf_counter() - began
    print(
        f"<!-- {n:,} chunks: texts, tokens and BM25 {text_s:.1f} s, load {_load()} -->", flush=True
    )
    docs = list(index.documents)
    scope = frozenset(docs[: max(1, len(docs) // 100)])
    rows = index.rows_of(scope)
    near = rng.integers(0, n, queries)
    near[: queries // 2] = rows[rng.integers(0, len(rows), queries // 2)]
    qs = _unit(vecs[near] + 0.5 * _unit(rng.normal(size=(queries, DIM))))
    words = [index.chunks[int(rng.integers(0, n))].text[:6] for _ in range(queries)]
    for kind in kinds:
        began = time.perf_counter()
        store = new_store(DIM, kind, 32, str(Path(tempfile.mkdtemp()) / "milvus.db"))
        # a search leaves FAISS at one thread (per question); a build may use every core
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        store.add(list(range(n)), vecs)
        if kind == "milvus":
            store.search(qs[:1], 1)  # the insert into Milvus happens at the first search
        build_s = time.perf_counter() - began
        resident, start_s = float("nan"), float("nan")
        if isinstance(store, FaissIndex):
            with tempfile.TemporaryDirectory(dir=os.environ.get("SCALE_TMP")) as tmp:
                store.save(Path(tmp))
                del store
                began = time.perf_counter()
                store = FaissIndex.load(Path(tmp), DIM, kind, 32)
                start_s = time.perf_counter() - began
                resident = _resident_mb(Path(tmp), kind)
        index.dense = store
        for label, doc_ids in (("all", None), ("scoped 1%", scope)):
            times = []
            for q, w in zip(qs, words, strict=True):
                t = time.perf_counter()
                retrieve(w, index, lambda _s, q=q: q[None, :], settings, doc_ids, 10)
                times.append((time.perf_counter() - t) * 1000)
            p50, p95 = np.percentile(times, [50, 95])
            hits = []
            among = rows if doc_ids is not None else None
            for q in qs[:20]:
                got = store.search(q[None, :], 10, among)[1][0]
                exact = _exact_top(vecs, q, among)
                hits.append(len(set(got.tolist()) & set(exact.tolist())) / 10)
            print(
                f"| {n:>9,} | {kind:<7} | {label:<9} | {build_s:7.1f} | {resident:7.0f} | "
                f"{start_s:5.1f} | {_rss_mb():7.0f} | {p50:7.1f} | {p95:7.1f} | "
                f"{np.mean(hits):.3f} | {_load()} |",
                flush=True,
            )


def _exact_top(vecs: np.ndarray, q: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    if rows is None:
        return np.argsort(-(vecs @ q))[:10]
    return rows[np.argsort(-(vecs[rows] @ q))[:10]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument(
        "--kinds", default="flat,hnsw,ivf-sq8", help="flat, hnsw, ivf-sq8, milvus (milvus-lite)"
    )
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--cache", type=Path, help="keep the BM25 matrices of each size here")
    args = parser.parse_args()
    print(
        "| chunks | store | question | build s | store MB | start s | peak RSS MB | "
        "p50 ms | p95 ms | recall@10 | load avg |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    settings = load_settings(env={})  # read once, before the long build
    for n in (int(s) for s in args.sizes.split(",")):
        run(n, args.kinds.split(","), args.queries, settings, args.cache)


if __name__ == "__main__":
    main()
