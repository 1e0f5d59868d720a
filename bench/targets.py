"""What extracting the targets table costs next to ingesting the same documents.

    .venv/bin/python bench/targets.py            # seeds + ../shared/corpus, fake embedder
    .venv/bin/python bench/targets.py --real     # and a full ingest with the real model

Prints the seconds of: reading (ingest_paths: decode, clean, outline), a full ingest into a
fresh data dir (chunking, embedding, index build; with the bigram-hash test embedder, or the
real model with --real), the time segments (rag.lang.periods.time_map, done at load anyway), and
the extraction of every row, cold (the first run in the process, gazetteer and jieba loaded)
and warm. Target (issue 13): extraction adds <= 20 % to ingest time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import load_settings  # noqa: E402
from rag.ingest.readers import ingest_paths  # noqa: E402
from rag.kb.base import Embedder  # noqa: E402
from rag.lang.periods import time_map  # noqa: E402
from rag.service import RagService  # noqa: E402
from rag.targets.extract import extract  # noqa: E402
from tests.conftest import FakeEmbedder  # noqa: E402


def _ingest(paths: list[Path], real: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env={}, data_dir=Path(tmp) / "data")
        embedder: Embedder = FakeEmbedder()
        if real:
            from embeddings.embedder import load_embedder

            embedder = load_embedder(settings)
        service = RagService(settings, embedder)
        began = time.perf_counter()
        service.ingest(paths)
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", action="store_true", help="also ingest with the real model")
    args = parser.parse_args()
    paths = [ROOT / "seeds"]
    corpus = ROOT.parent / "shared" / "corpus"
    if corpus.is_dir():
        paths.append(corpus)

    began = time.perf_counter()
    documents, _failures = ingest_paths(paths)
    read = time.perf_counter() - began
    docs = {d.doc_id: d for d in documents}
    began = time.perf_counter()
    times = time_map(docs)
    segments = time.perf_counter() - began
    began = time.perf_counter()
    rows = extract(docs, times)
    cold = time.perf_counter() - began
    began = time.perf_counter()
    extract(docs, times)
    warm = time.perf_counter() - began

    fake = _ingest(paths, real=False)
    print(f"documents {len(docs)}, characters {sum(len(d.text) for d in docs.values()):,}")
    print(f"rows {len(rows)}")
    print(f"read (ingest_paths)            {read:7.2f} s")
    print(f"time segments (time_map)       {segments:7.2f} s")
    print(f"extraction, cold               {cold:7.2f} s")
    print(f"extraction, warm               {warm:7.2f} s")
    print(
        f"ingest, test embedder          {fake:7.2f} s  -> extraction (cold) adds "
        f"{100 * cold / fake:.1f} %"
    )
    if args.real:
        real = _ingest(paths, real=True)
        print(
            f"ingest, real model             {real:7.2f} s  -> extraction (cold) adds "
            f"{100 * cold / real:.1f} %"
        )


if __name__ == "__main__":
    main()
