"""What an index must share with the settings and the code to be used: the fingerprint of the
pipeline that turned files into chunks, and the chunking and embedding parameters."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from rag import ingest
from rag.config import Settings
from rag.index import chunking


@functools.cache
def pipeline_version() -> str:
    """Fingerprint of the code that turns files into chunks: a change to it makes indexes stale.

    Unchanged documents keep their vectors only while reading, cleaning, outlining and
    chunking are the same code that produced them: every module of rag/ingest/ (a module split
    out of one is covered without a change here) and rag/index/chunking.py.
    """
    digest = hashlib.sha256()
    modules = sorted(Path(ingest.__file__ or "").parent.glob("*.py"))
    for path in [*modules, Path(chunking.__file__ or "")]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def index_params(settings: Settings) -> dict[str, Any]:
    """The parameters an index must share with the settings to be used."""
    return {
        "pipeline": pipeline_version(),
        "chunk_max_chars": settings.chunk_max_chars,
        "chunk_overlap_chars": settings.chunk_overlap_chars,
        "chunk_hard_max_chars": settings.chunk_hard_max_chars,
        "query_prompt": settings.query_prompt,
        "passage_prompt": settings.passage_prompt,
        "vector_store": settings.vector_store,
    }
