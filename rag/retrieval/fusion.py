"""Fusion of the keyword and dense scores of the same candidate rows: one component per method,
chosen by the `fusion` setting through `make_fusion` (the swap point for a learned fusion).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from rag.config import Settings

Scores = npt.NDArray[np.float32]


class Fusion(Protocol):
    """Turns per-retriever scores of the same rows into one score per row."""

    name: str

    def fuse(self, bm25: Scores, dense: Scores) -> Scores: ...


def _normalise(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Min-max to [0, 1]; a constant vector maps to zeros (it says nothing about order)."""
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.zeros_like(values)
    return ((values - low) / (high - low)).astype(np.float32)


def weighted_fusion(
    bm25: npt.NDArray[np.float32],
    dense: npt.NDArray[np.float32],
    bm25_weight: float,
    dense_weight: float,
) -> npt.NDArray[np.float32]:
    """Weighted sum of min-max-normalised scores over the same candidate rows."""
    return (bm25_weight * _normalise(bm25) + dense_weight * _normalise(dense)).astype(np.float32)


def rrf_fusion(ranks: list[npt.NDArray[np.int64]], k: int) -> npt.NDArray[np.float32]:
    """Reciprocal-rank fusion: sum of 1 / (k + rank) with ranks starting at 1."""
    if k < 1:
        raise ValueError(f"rrf k must be at least 1; got {k}")
    total = np.zeros(ranks[0].shape, dtype=np.float64)
    for r in ranks:
        total += 1.0 / (k + r)
    return total.astype(np.float32)


def ranks(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks.astype(np.int64)


def best(scores: npt.NDArray[np.float32], n: int) -> npt.NDArray[np.intp]:
    """Positions of the n largest scores in any order (argpartition: linear, not a sort);
    ties at the cut go to the earlier rows, the same set a stable sort would give."""
    if n >= scores.size:
        return np.arange(scores.size)
    if n < 1:
        return np.zeros(0, dtype=np.intp)
    kth = scores[np.argpartition(-scores, n - 1)[:n]].min()
    above = np.flatnonzero(scores > kth)
    ties = np.flatnonzero(scores == kth)[: n - above.size]
    return np.concatenate([above, ties])


class WeightedFusion:
    """Weighted sum of min-max-normalised scores (weights from the settings)."""

    name = "weighted"

    def __init__(self, bm25_weight: float, dense_weight: float) -> None:
        self.bm25_weight, self.dense_weight = bm25_weight, dense_weight

    def fuse(self, bm25: Scores, dense: Scores) -> Scores:
        return weighted_fusion(bm25, dense, self.bm25_weight, self.dense_weight)


class RRFFusion:
    """Reciprocal-rank fusion of the two rankings."""

    name = "rrf"

    def __init__(self, k: int) -> None:
        self.k = k

    def fuse(self, bm25: Scores, dense: Scores) -> Scores:
        return rrf_fusion([ranks(bm25), ranks(dense)], self.k)


class SingleFusion:
    """One retriever alone ("bm25" or "dense"), for comparison runs."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fuse(self, bm25: Scores, dense: Scores) -> Scores:
        return bm25 if self.name == "bm25" else dense


def make_fusion(name: str, settings: Settings) -> Fusion:
    """The fusion component a setting names: weighted, rrf, bm25 or dense."""
    if name == "weighted":
        return WeightedFusion(settings.bm25_weight, settings.dense_weight)
    if name == "rrf":
        return RRFFusion(settings.rrf_k)
    if name in {"bm25", "dense"}:
        return SingleFusion(name)
    raise ValueError(f"fusion must be weighted, rrf, bm25 or dense; got {name!r}")
