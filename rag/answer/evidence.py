"""Evidence: does a sentence answer the question? A calibrated model over named features.

Each candidate sentence is described by what the words say (how much of the question's content
it holds, alone and with its heading, and in the own words of its best figure: one item of a
long list of targets says the thing asked while the sentence as a whole says much else), what
the meaning says (the embedding cosine of question and sentence, and how it compares to the best
candidate), and what retrieval said of its passage. A logistic regression, fitted on a training
split of questions (`rag calibrate`), turns these into the probability that the sentence is the
evidence. The answerer answers from the most probable sentence when that probability clears the
threshold fitted with it, and refuses otherwise. Nothing here is set by hand: the weights, the
intercept and the threshold come from the model file, which also records what it was fitted on
and its reliability curve.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

FEATURES = (
    "coverage",  # weighted share of the question's content bigrams in sentence + heading
    "own_coverage",  # the same in the sentence alone
    "coverage_gap",  # coverage minus the best candidate's coverage
    "cosine",  # embedding cosine of question and sentence
    "cosine_gap",  # cosine minus the best candidate's cosine
    "passage_score",  # fused retrieval score of the sentence's passage (0..1)
    "passage_rank",  # 1 / rank of the passage
    "head",  # share of the measured thing's wording (head phrase) in sentence + heading
    "figure_coverage",  # the question's content in the own words of the sentence's best figure
    "figure_coverage_gap",  # figure_coverage minus the best candidate's
)


@dataclass(frozen=True)
class Candidate:
    """The raw measurements of one candidate sentence (gaps are filled in per question)."""

    coverage: float
    own_coverage: float
    cosine: float
    passage_score: float
    passage_rank: int
    head: float
    figure_coverage: float = 0.0


def feature_rows(candidates: Sequence[Candidate]) -> list[list[float]]:
    """The named features of each candidate, relative ones computed over the set."""
    if not candidates:
        return []
    best_cov = max(c.coverage for c in candidates)
    best_cos = max(c.cosine for c in candidates)
    best_fig = max(c.figure_coverage for c in candidates)
    return [
        [
            c.coverage,
            c.own_coverage,
            c.coverage - best_cov,
            c.cosine,
            c.cosine - best_cos,
            c.passage_score,
            1.0 / max(c.passage_rank, 1),
            c.head,
            c.figure_coverage,
            c.figure_coverage - best_fig,
        ]
        for c in candidates
    ]


@dataclass(frozen=True)
class EvidenceModel:
    """Logistic regression weights over FEATURES, the fitted acceptance threshold, provenance."""

    coef: tuple[float, ...]
    intercept: float
    threshold: float
    features: tuple[str, ...] = FEATURES
    provenance: dict[str, Any] = field(default_factory=dict)

    def probability(self, row: Sequence[float]) -> float:
        """P(the sentence is the evidence) for one feature row."""
        z = self.intercept + sum(w * x for w, x in zip(self.coef, row, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def probabilities(self, candidates: Sequence[Candidate]) -> list[float]:
        """P for each candidate of one question."""
        return [self.probability(r) for r in feature_rows(candidates)]

    def to_json(self) -> dict[str, Any]:
        """The model as a JSON object (what `rag calibrate` writes)."""
        return {
            "features": list(self.features),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "provenance": self.provenance,
        }


def load_model(path: Path) -> EvidenceModel:
    """Read a model file; ConfigError naming the file and the rule it breaks."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"evidence model {path} is not readable JSON ({exc})") from exc
    if not isinstance(data, dict) or tuple(data.get("features", ())) != FEATURES:
        raise ConfigError(
            f"evidence model {path} must list the features {list(FEATURES)}; "
            f"got {data.get('features') if isinstance(data, dict) else data!r}: "
            "refit it with `rag calibrate`"
        )
    coef = data.get("coef")
    if not isinstance(coef, list) or len(coef) != len(FEATURES):
        raise ConfigError(f"evidence model {path} needs {len(FEATURES)} coefficients; got {coef!r}")
    return EvidenceModel(
        tuple(float(c) for c in coef),
        float(data["intercept"]),
        float(data["threshold"]),
        FEATURES,
        dict(data.get("provenance", {})),
    )


def fit_model(
    rows: Sequence[Sequence[float]],
    labels: Sequence[int],
    question_best: Sequence[tuple[int, bool]],
    provenance: dict[str, Any],
) -> EvidenceModel:
    """Fit the logistic regression, then the acceptance threshold.

    `question_best` gives, per training question in row order, (its first row, answerable).
    The threshold is the probability cut that answers the most
    training questions right: answerable ones whose top candidate is the evidence accepted,
    unanswerable ones refused.
    """
    from sklearn.calibration import calibration_curve
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        raise ValueError(f"training needs positive and negative rows; got labels {set(labels)}")
    import numpy as np

    # standardised features, so the regularisation weighs them alike (cosines of this model
    # differ by hundredths, coverages by tenths); the scaling is folded back into the weights
    x = np.asarray(rows, dtype=np.float64)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    clf = LogisticRegression(C=1.0, max_iter=1000)
    clf.fit((x - mean) / std, labels)
    coef = clf.coef_[0] / std
    intercept = float(clf.intercept_[0] - (clf.coef_[0] * mean / std).sum())
    model = EvidenceModel(tuple(float(c) for c in coef), intercept, 0.5, FEATURES)
    probs = [model.probability(r) for r in rows]
    bounds = [start for start, _ in question_best] + [len(rows)]
    tops: list[tuple[float, bool, bool]] = []  # (top probability, top is evidence, answerable)
    for (start, answerable), end in zip(question_best, bounds[1:], strict=True):
        if end <= start:
            tops.append((0.0, False, answerable))
            continue
        best = max(range(start, end), key=lambda i: probs[i])
        tops.append((probs[best], bool(labels[best]), answerable))
    cuts = sorted({round(p, 4) for p, _, _ in tops} | {0.5})

    def correct(cut: float) -> int:
        return sum((p >= cut and good) if answerable else (p < cut) for p, good, answerable in tops)

    threshold = max(cuts, key=lambda c: (correct(c), -abs(c - 0.5)))
    frac, mean = calibration_curve(labels, probs, n_bins=10, strategy="quantile")
    provenance = dict(provenance)
    provenance["reliability_curve"] = {
        "mean_predicted": [round(float(x), 4) for x in mean],
        "fraction_positive": [round(float(x), 4) for x in frac],
    }
    provenance["training_rows"] = len(rows)
    provenance["training_questions"] = len(question_best)
    provenance["training_correct_at_threshold"] = correct(threshold)
    return EvidenceModel(model.coef, model.intercept, float(threshold), FEATURES, provenance)
