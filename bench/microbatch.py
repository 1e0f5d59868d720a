"""Does micro-batching concurrent query embeddings help with the ONNX backend on this machine?

    OMP_WAIT_POLICY=PASSIVE python bench/microbatch.py [--rounds 3] [--levels 1,4,16]

Distinct questions (every question set, each round with its own prefix so nothing repeats) from
`c` client threads, closed loop, in one process:

- **embed**: the query embedding alone, `embed_queries([q])` per caller (direct: concurrent
  calls into the shared ONNX session) against MicroBatcher below (one worker takes whatever
  is queued, no added wait, de-duplicated, one call);
- **ask**: `RagService.ask` over the seeds index in data/ (built by `make index`), with the
  same two embedders: what a server's worker threads do, minus HTTP.

Each cell is the median of `rounds` runs (queries/s, p50, p95 in ms). Also printed: the largest
difference between a question's vector embedded alone and inside a batch (int8 dynamic
quantisation picks its activation scale per batch, so a batched vector is not bit-identical).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings.embedder import Embedder, load_embedder  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.service import RagService  # noqa: E402

EmbedFn = Callable[[list[str]], Any]


class MicroBatcher:
    """Coalesces concurrent `embed(texts)` calls into one call per free moment of the worker."""

    def __init__(self, embed: EmbedFn, dim: int, max_batch: int = 64) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1; got {max_batch}")
        self._embed = embed
        self._dim = dim
        self._max_batch = max_batch
        self._queue: list[tuple[str, Future[Any]]] = []
        self._ready = threading.Condition()
        self._closed = False
        self.batches: list[tuple[int, int]] = []  # (texts asked, distinct texts embedded)
        self._worker = threading.Thread(target=self._run, name="query-microbatch", daemon=True)
        self._worker.start()

    def __call__(self, texts: list[str]) -> Any:
        """The rows for `texts`, embedded together with whatever else is queued."""
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        futures: list[Future[Any]] = [Future() for _ in texts]
        with self._ready:
            if self._closed:
                raise RuntimeError("the micro-batcher is closed")
            self._queue.extend(zip(texts, futures, strict=True))
            self._ready.notify()
        return np.stack([f.result() for f in futures])

    def close(self) -> None:
        """Stop the worker once the queue is empty."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._worker.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if not self._queue:
                    return
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
            distinct = list(dict.fromkeys(text for text, _ in batch))
            try:
                rows = self._embed(distinct)
            except BaseException as exc:  # every waiting caller gets the error, not a hang
                for _, future in batch:
                    future.set_exception(exc)
                continue
            where = {text: i for i, text in enumerate(distinct)}
            self.batches.append((len(batch), len(distinct)))
            for text, future in batch:
                future.set_result(rows[where[text]])


PREFIXES = ["", "请问", "我想知道", "麻烦查一下", "请告诉我", "想了解", "帮我看看", "查询"]


class Batched:
    """An Embedder whose queries go through a MicroBatcher; passages go straight through."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.batcher = MicroBatcher(inner.embed_queries, inner.dim)

    def embed_queries(self, texts: list[str]) -> Any:
        return self.batcher(texts)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> Any:
        return self.inner.embed_passages(texts, show_progress)


def questions() -> list[str]:
    seen: dict[str, None] = {}
    for path in sorted((ROOT / "tests" / "data").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen[json.loads(line)["question"]] = None
    return list(seen)


def closed_loop(
    call: Callable[[str], Any], asked: list[str], clients: int
) -> tuple[float, list[float]]:
    """`clients` threads share the questions; returns (queries/s, latencies in s)."""
    lock = threading.Lock()
    pending = list(reversed(asked))
    latencies: list[float] = []

    def client() -> None:
        while True:
            with lock:
                if not pending:
                    return
                q = pending.pop()
            began = time.perf_counter()
            call(q)
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(asked) / (time.perf_counter() - began), latencies


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--levels", default="1,4,16")
    parser.add_argument("--per-round", type=int, default=160, help="questions per run")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    settings = load_settings()
    inner = load_embedder(settings)
    batched = Batched(inner)
    pool = questions()
    print(f"{len(pool)} distinct questions; embedder {inner.name}; levels {levels}")

    # vectors alone vs in a batch of 16
    sample = pool[:64]
    alone = np.stack([inner.embed_queries([q])[0] for q in sample])
    together = np.concatenate([inner.embed_queries(sample[i : i + 16]) for i in range(0, 64, 16)])
    cosines = (alone * together).sum(axis=1)
    print(
        f"batched vs alone: worst cosine {cosines.min():.5f}, "
        f"max |diff| {np.abs(alone - together).max():.2e}"
    )

    services = {}
    for label, embedder in (("direct", inner), ("microbatch", batched)):
        service = RagService(settings, embedder)  # type: ignore[arg-type]
        service.load()
        services[label] = service
    rows: list[list[str]] = []
    run = 0
    for stage in ("embed", "ask"):
        for clients in levels:
            for label in ("direct", "microbatch"):
                figures = []
                for _ in range(args.rounds):
                    prefix = PREFIXES[run % len(PREFIXES)] + (
                        "" if run < len(PREFIXES) else str(run)
                    )
                    run += 1
                    asked = [prefix + q for q in pool[: args.per_round]]
                    if stage == "embed":
                        embedder = inner if label == "direct" else batched
                        call: Callable[[str], Any] = lambda q, e=embedder: e.embed_queries([q])  # noqa: E731
                    else:
                        service = services[label]
                        call = lambda q, s=service: s.ask(q)  # noqa: E731
                    qps, lat = closed_loop(call, asked, clients)
                    figures.append((qps, pct(lat, 50), pct(lat, 95)))
                qps = statistics.median(f[0] for f in figures)
                p50 = statistics.median(f[1] for f in figures)
                p95 = statistics.median(f[2] for f in figures)
                row = [stage, str(clients), label, f"{qps:.1f}", f"{p50:.1f}", f"{p95:.1f}"]
                rows.append(row)
                print(" | ".join(row), flush=True)
    sizes = batched.batcher.batches
    if sizes:
        mean = sum(n for n, _ in sizes) / len(sizes)
        print(
            f"micro-batches: {len(sizes)}, mean size {mean:.1f}, largest {max(n for n, _ in sizes)}"
        )
    print("\n| stage | clients | mode | queries/s | p50 ms | p95 ms |\n|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
