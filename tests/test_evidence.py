"""The evidence model: fitting on made-up candidates, its file, and how the answerer uses it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from rag.answer.calibrate import write_model
from rag.answer.evidence import FEATURES, Candidate, feature_rows, fit_model, load_model
from rag.errors import ConfigError


def _synthetic(seed: int = 7) -> tuple[list[list[float]], list[int], list[tuple[int, bool]]]:
    """Questions whose evidence sentence is the one closest in meaning, whatever its words:
    the model must learn to trust the cosine, and refuse questions whose best cosine is low."""
    rng = random.Random(seed)
    rows: list[list[float]] = []
    labels: list[int] = []
    per_question: list[tuple[int, bool]] = []
    for q in range(120):
        answerable = q % 3 != 0
        candidates = [
            Candidate(rng.random() * 0.6, rng.random() * 0.5, 0.78 + rng.random() * 0.06, 0.5, n, 1)
            for n in range(1, 7)
        ]
        gold = rng.randrange(6) if answerable else -1
        if answerable:
            c = candidates[gold]
            candidates[gold] = Candidate(c.coverage, c.own_coverage, 0.9, 0.5, c.passage_rank, 1)
        per_question.append((len(rows), answerable))
        rows += feature_rows(candidates)
        labels += [int(i == gold) for i in range(6)]
    return rows, labels, per_question


def test_the_fitted_model_trusts_meaning_and_refuses_what_has_none() -> None:
    rows, labels, per_question = _synthetic()
    model = fit_model(rows, labels, per_question, {"fitted_on": "synthetic"})
    cosine = FEATURES.index("cosine")
    assert model.coef[cosine] > 0
    assert model.provenance["training_correct_at_threshold"] >= 100  # chance: about 50
    # fresh questions from the same process: the evidence is chosen and accepted, the
    # unanswerable ones are refused
    rows2, labels2, per_question2 = _synthetic(seed=8)
    right = 0
    bounds = [s for s, _ in per_question2] + [len(rows2)]
    for (start, answerable), end in zip(per_question2, bounds[1:], strict=True):
        probs = [model.probability(rows2[i]) for i in range(start, end)]
        top = max(range(len(probs)), key=probs.__getitem__)
        if answerable:
            right += probs[top] >= model.threshold and labels2[start + top] == 1
        else:
            right += probs[top] < model.threshold
    assert right >= 100
    curve = model.provenance["reliability_curve"]
    assert len(curve["mean_predicted"]) == len(curve["fraction_positive"]) >= 2


def test_a_model_file_round_trips_and_a_bad_one_is_named(tmp_path: Path) -> None:
    rows, labels, per_question = _synthetic()
    model = fit_model(rows, labels, per_question, {})
    path = tmp_path / "model.json"
    write_model(model, path)
    again = load_model(path)
    assert again.coef == model.coef and again.threshold == model.threshold
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"] = ["coverage"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="refit it with `rag calibrate`"):
        load_model(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="not readable JSON"):
        load_model(path)


def test_fitting_needs_both_kinds_of_rows() -> None:
    with pytest.raises(ValueError, match="positive and negative"):
        fit_model([[0.0] * len(FEATURES)], [0], [(0, True)], {})
