"""The random sample of targets rows that docs/evaluation/targets-sample.md hand-checks.

    .venv/bin/python bench/targets_sample.py [SEED] > /tmp/sample.txt

Extracts every row of seeds + ../shared/corpus, draws 100 with random.Random(SEED) and prints
each with its section path and the text around the value (the verdicts are written by a person
who reads that text, not by code).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.ingest.readers import ingest_paths  # noqa: E402
from rag.lang.periods import time_map  # noqa: E402
from rag.targets.extract import extract  # noqa: E402

SEED = 24  # the sample checked on the current code; 23 to 20 and 18 to 13 on earlier code
SIZE = 100


def main() -> None:
    documents, _failures = ingest_paths([ROOT / "seeds", ROOT.parent / "shared" / "corpus"])
    docs = {d.doc_id: d for d in documents}
    rows = extract(docs, time_map(docs))
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else SEED
    for n, row in enumerate(random.Random(seed).sample(rows, SIZE), 1):
        text = docs[row.doc_id].text
        at = row.value_start
        before = text[max(row.start, at - 70) : at].replace("\n", " ")
        after = text[at + len(row.value) : min(row.end, at + len(row.value) + 25)]
        print(
            f"{n}. {row.doc_id} [{row.start}-{row.end}] › {' › '.join(row.section_path)[-60:]}\n"
            f"   …{before}⟦{row.value}⟧{after}…\n"
            f"   indicator={row.indicator!r} norm={row.indicator_norm!r} value={row.value!r} "
            f"unit={row.unit!r} qualifier={row.qualifier!r} year={row.year} "
            f"stance={row.stance or '-'} kind={row.kind} place={row.place}"
        )


if __name__ == "__main__":
    main()
