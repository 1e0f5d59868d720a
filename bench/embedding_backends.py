"""Embedding speed per backend: model load, query latency, passage throughput.

    python bench/embedding_backends.py [--rounds 50] [--backends torch,onnx-fp32,onnx-int8,...]

Query columns: p50/p90 alone, p50 with 2 clients asking at once, p50 while another thread
embeds passages. Each backend runs in a fresh process, so the ONNX runs never import torch and
load time includes the imports a server start pays. Texts come from seeds/: 500 sentences, and
100 chunks of 360 characters (the chunker's chunk_max_chars). Figures to read, not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))

QUESTION = "2025年科技创新工作的重点任务有哪些？"
CHUNK_CHARS = 360
# name -> (backend, variant, intra-op threads of a separate query session; None: shared)
BACKENDS: dict[str, tuple[str, str, int | None]] = {
    "torch": ("torch", "fp32", None),
    "onnx-fp32": ("onnx", "fp32", None),
    "onnx-int8": ("onnx", "int8", None),
    "onnx-int8-q1": ("onnx", "int8", 1),
}


def seed_texts() -> tuple[list[str], list[str]]:
    """500 sentences and 100 chunks of ~CHUNK_CHARS characters from the seed documents."""
    docs = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    sentences = [
        s.strip()
        for doc in docs
        for s in re.split(r"(?<=[。；！？])|\n", doc)
        if len(s.strip()) >= 8
    ]
    flat = "".join(re.sub(r"\s+", "", doc) for doc in docs)
    # windows overlap by half, as the seeds hold fewer than 100 disjoint ones
    step = CHUNK_CHARS // 2
    chunks = [flat[i : i + CHUNK_CHARS] for i in range(0, len(flat) - CHUNK_CHARS, step)]
    if len(sentences) < 500 or len(chunks) < 100:
        raise SystemExit(
            f"seeds give {len(sentences)} sentences, {len(chunks)} chunks; need 500/100"
        )
    return sentences[:500], chunks[:100]


def _load(name: str) -> Any:
    from embeddings.convert import PROMPTS
    from rag.config import load_settings

    backend, variant, query_threads = BACKENDS[name]
    settings = load_settings()
    common: dict[str, Any] = {
        "model_dir": settings.model_dir,
        "query_prompt": PROMPTS["query"],
        "passage_prompt": PROMPTS["passage"],
        "batch_size": settings.embed_batch_size,
        "max_seq_length": settings.max_seq_length,
        "threads": settings.torch_threads,
    }
    if backend == "torch":
        from embeddings.embedder import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(**common)
    from embeddings.onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(variant=variant, query_threads=query_threads, **common)


def _concurrent_p50(embedder: Any, workers: int, rounds: int) -> float:
    """Median latency of one query while `workers` threads each send `rounds` queries."""
    times: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(rounds):
            began = time.perf_counter()
            embedder.embed_queries([QUESTION])
            with lock:
                times.append(time.perf_counter() - began)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return float(np.median(times))


def _p50_during_passages(embedder: Any, passages: list[str], rounds: int) -> float:
    """Median latency of one query while another thread embeds passages (an ingest)."""
    stop = threading.Event()

    def ingest() -> None:
        while not stop.is_set():
            embedder.embed_passages(passages)

    worker = threading.Thread(target=ingest)
    worker.start()
    time.sleep(0.5)
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        embedder.embed_queries([QUESTION])
        times.append(time.perf_counter() - began)
        time.sleep(0.01)
    stop.set()
    worker.join()
    return float(np.median(times))


def child(name: str, rounds: int) -> dict[str, Any]:
    """Measure one backend in this process (started fresh by the parent)."""
    import resource

    began = time.perf_counter()
    embedder = _load(name)
    embedder.embed_queries([QUESTION])
    load = time.perf_counter() - began
    sentences, chunks = seed_texts()
    for _ in range(5):
        embedder.embed_queries([QUESTION])
    single = []
    for _ in range(rounds):
        t = time.perf_counter()
        embedder.embed_queries([QUESTION])
        single.append(time.perf_counter() - t)
    concurrent = _concurrent_p50(embedder, workers=2, rounds=max(rounds // 2, 1))
    during_ingest = _p50_during_passages(embedder, chunks[:16], rounds)
    embedder.embed_passages(sentences[:32])
    t = time.perf_counter()
    embedder.embed_passages(sentences)
    sentence_rate = len(sentences) / (time.perf_counter() - t)
    t = time.perf_counter()
    embedder.embed_passages(chunks)
    chunk_rate = len(chunks) / (time.perf_counter() - t)
    return {
        "name": name,
        "model": embedder.name,
        "load_s": load,
        "query_p50_ms": 1000 * float(np.median(single)),
        "query_p90_ms": 1000 * float(np.percentile(single, 90)),
        "query_p50_2_concurrent_ms": 1000 * concurrent,
        "query_p50_during_ingest_ms": 1000 * during_ingest,
        "sentences_per_s": sentence_rate,
        "chunks_per_s": chunk_rate,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch_imported": "torch" in sys.modules,
        "load_average": os.getloadavg()[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50, help="queries timed per backend")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated names")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rounds)))
        return 0
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    rows = []
    for name in args.backends.split(","):
        if name not in BACKENDS:
            raise SystemExit(f"backend must be one of {sorted(BACKENDS)}; got {name!r}")
        out = subprocess.run(
            [sys.executable, __file__, "--child", name, "--rounds", str(args.rounds)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    header = (
        f"{'backend':<14}{'load s':>8}{'q p50 ms':>10}{'q p90 ms':>10}{'2 clients':>11}"
        f"{'+ingest':>9}"
        f"{'sent/s':>9}{'chunk/s':>9}{'RSS MiB':>9}{'torch':>7}{'load':>6}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['name']:<14}{r['load_s']:>8.2f}{r['query_p50_ms']:>10.1f}{r['query_p90_ms']:>10.1f}"
            f"{r['query_p50_2_concurrent_ms']:>11.1f}{r['query_p50_during_ingest_ms']:>9.1f}"
            f"{r['sentences_per_s']:>9.1f}"
            f"{r['chunks_per_s']:>9.1f}{r['peak_rss_mib']:>9.0f}{r['torch_imported']!s:>7}"
            f"{r['load_average']:>6.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
