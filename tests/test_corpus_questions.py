"""Question sets over seeds + the real-report corpus, through the real system.

The 250 questions were written blind (from the documents and the JSONL format only) and split
by writer and type into train (fits the evidence model), dev (visible while developing) and
blind (run once; its first-run figures head docs/EVALUATION.md); blind_b (70), blind_c (90),
blind_d, blind_e, blind_f, blind_g and blind_h (90 each) were written later by new writers
and each run once; blind_i (40) asks with place or year left open, under the stated defaults;
blind_j and blind_k (60 each), blind_l (50), blind_m, blind_n, blind_o and blind_p (60 each)
are seven more general sets, and so are blind_q to blind_ab (40–60 each). The floors here hold
on train and dev; every set, the blind ones included, must keep both promises and withhold
nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import ROOT
from rag.evaluation.evaluate import Config, evaluate
from rag.evaluation.question_sets import load_questions
from rag.service import RagService
from tests.conftest import CORPUS, NO_CORPUS, SEEDS

DATA = ROOT / "tests" / "data"
CORPUS_SETS = [
    DATA / f"corpus_{name}.jsonl"
    for name in (
        "train",
        "dev",
        "blind",
        "blind_b",
        "blind_c",
        "blind_d",
        "blind_e",
        "blind_f",
        "blind_g",
        "blind_h",
        "blind_i",
        "blind_j",
        "blind_k",
        "blind_l",
        "blind_m",
        "blind_n",
        "blind_o",
        "blind_p",
        "blind_q",
        "blind_r",
        "blind_s",
        "blind_t",
        "blind_u",
        "blind_v",
        "blind_w",
        "blind_x",
        "blind_y",
        "blind_z",
        "blind_aa",
        "blind_ab",
    )
]
SEED_SETS = [DATA / f"{name}_questions.jsonl" for name in ("dev", "holdout", "blind", "blind2")]


def _texts() -> dict[str, str]:
    from rag.ingest.readers import ingest_paths

    docs, _ = ingest_paths([SEEDS, CORPUS])
    return {name: d.text for d in docs for name in (d.source, Path(d.source).stem, d.doc_id)}


@pytest.mark.skipif(not CORPUS.is_dir(), reason=NO_CORPUS)
def test_corpus_sets_are_well_formed_and_their_evidence_is_verbatim() -> None:
    texts = _texts()
    counts = {}
    for path in CORPUS_SETS:
        questions, problems = load_questions(path)
        assert not problems, problems
        counts[path.stem] = len(questions)
        for q in questions:
            for ev in q.evidence:
                assert any(ev in texts[d] for d in q.docs), (q.id, ev)
    assert counts["corpus_blind"] >= 60 and sum(counts.values()) >= 200


@pytest.mark.slow
@pytest.mark.parametrize("path", CORPUS_SETS, ids=lambda p: p.stem)
def test_corpus_sets_keep_the_promises(corpus_service: RagService, path: Path) -> None:
    questions, _ = load_questions(path)
    (run,) = evaluate(corpus_service, questions, [Config(corpus_service.settings.fusion)])
    s = run.summary
    assert s.errors == 0
    assert s.violations == 0, [(r.question.id, r.violations) for r in run.results if r.violations]
    assert s.withheld == 0, [r.question.id for r in run.results if r.withheld]
    if path.stem.startswith("corpus_blind"):
        return  # the blind splits have no floor: their figures are reported, not tuned for
    wrong = [(r.question.id, r.answer[:40]) for r in run.results if not r.correct]
    floors = FLOORS[path.stem]
    assert s.accuracy is not None and s.accuracy >= floors[0], wrong
    assert s.refusal_recall is not None and s.refusal_recall >= floors[1], wrong
    assert s.false_refusal is not None and s.false_refusal <= floors[2], wrong


# (accuracy, refusal recall, max false refusals): just under the figures measured on each set
# (train 0.946 / 0.897 / 0.043 on an index built from scratch, as CI builds it; 0.931 refusal
# recall on one built step by step, where the one unanswerable g1-047 is refused; dev 0.929 /
# 1.000 / 0.000), so a new miss or two fails the test. Raise them as the engine improves; never
# lower them to let a change pass.
FLOORS = {
    "corpus_train": (0.93, 0.89, 0.06),
    "corpus_dev": (0.90, 0.90, 0.03),
}


@pytest.mark.slow
@pytest.mark.parametrize("path", SEED_SETS, ids=lambda p: p.stem)
def test_seed_sets_withhold_nothing(real_service: RagService, path: Path) -> None:
    questions, _ = load_questions(path)
    (run,) = evaluate(real_service, questions, [Config(real_service.settings.fusion)])
    assert run.summary.withheld == 0, [r.question.id for r in run.results if r.withheld]
    assert run.summary.violations == 0
