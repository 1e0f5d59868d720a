"""Retrieval at scale: synthetic chunks, hybrid retrieve() with and without a scope.

    python bench/scale.py [--sizes 10000,100000,1000000] [--kinds flat,hnsw] [--queries 60]

For each size and FAISS kind: build seconds, RSS, hybrid retrieve() p50/p95 (the query
embedding excluded: vectors are given), the same for a question scoped to ~1 % of the
documents, and recall@10 of the scoped dense top-10 against exact scoped search. Texts are
made of Chinese bigrams drawn from the seed plans so BM25 sees realistic tokens. Figures to
read, not tests: nothing here asserts.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import tempfile
import time
from pathlib import Path

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


def _vocabulary() -> list[str]:
    text = "".join(p.read_text("utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    hans = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    return sorted({a + b for a, b in itertools.pairwise(hans)})


def _corpus(n: int, rng: np.random.Generator) -> tuple[Index, np.ndarray]:
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
    vecs = rng.normal(size=(n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    keyword = BM25Index([keyword_text(c) for c in chunks])
    dense = FaissIndex(DIM)  # replaced per kind
    return Index(documents, chunks, dense, keyword, {}), vecs


def run(n: int, kinds: list[str], queries: int, settings: Settings) -> None:
    rng = np.random.default_rng(n)
    began = time.perf_counter()
    index, vecs = _corpus(n, rng)
    text_s = time.perf_counter() - began
    docs = list(index.documents)
    scope = frozenset(docs[: max(1, len(docs) // 100)])
    rows = np.flatnonzero(index.chunk_rows(scope))
    qs = rng.normal(size=(queries, DIM)).astype(np.float32)
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    words = [index.chunks[int(rng.integers(0, n))].text[:6] for _ in range(queries)]
    for kind in kinds:
        began = time.perf_counter()
        store = new_store(DIM, kind, 32, str(Path(tempfile.mkdtemp()) / "milvus.db"))
        store.add(list(range(n)), vecs)
        if kind == "milvus":
            store.search(qs[:1], 1)  # the insert into Milvus happens at the first search
        build_s = time.perf_counter() - began
        index.dense = store
        for label, doc_ids in (("all", None), ("scoped 1%", scope)):
            times = []
            for q, w in zip(qs, words, strict=True):
                t = time.perf_counter()
                retrieve(w, index, lambda _s, q=q: q[None, :], settings, doc_ids, 10)
                times.append((time.perf_counter() - t) * 1000)
            p50, p95 = np.percentile(times, [50, 95])
            recall = ""
            if doc_ids is not None:
                hits = []
                for q in qs[:20]:
                    got = store.search(q[None, :], 10, rows)[1][0]
                    exact = rows[np.argsort(-(vecs[rows] @ q))[:10]]
                    hits.append(len(set(got.tolist()) & set(exact.tolist())) / 10)
                recall = f"{np.mean(hits):.3f}"
            print(
                f"| {n:>9,} | {kind:<5} | {label:<9} | {text_s + build_s:7.1f} | "
                f"{_rss_mb():7.0f} | {p50:7.1f} | {p95:7.1f} | {recall:>6} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--kinds", default="flat,hnsw", help="flat, hnsw, milvus (milvus-lite)")
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()
    print("| chunks | store | question | build s | RSS MB | p50 ms | p95 ms | recall@10 |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    settings = load_settings(env={})  # read once, before the long build
    for n in (int(s) for s in args.sizes.split(",")):
        run(n, args.kinds.split(","), args.queries, settings)


if __name__ == "__main__":
    main()
