"""Settings: config/default.toml, then an optional TOML file, then RAG_* environment variables.

This is the only module that reads `os.environ`. Every other module receives a `Settings`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
# a knowledge base's name is a folder name under data/kbs: no path separators, no dot files
KB_NAME = re.compile(r"[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_\-\u4e00-\u9fff]{0,39}")
DEFAULT_CONFIG = ROOT / "config" / "default.toml"


@dataclass(frozen=True)
class Settings:
    """Every knob of the system; see config/default.toml for what each one does."""

    # paths
    data_dir: Path = ROOT / "data"
    seeds_dir: Path = ROOT / "seeds"
    model_dir: Path = ROOT / "data" / "models" / "multilingual-e5-small"
    # embedding model
    embedding_backend: str = "onnx"
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    embed_batch_size: int = 16
    max_seq_length: int = 512
    torch_threads: int = 2
    # chunking
    chunk_max_chars: int = 360
    chunk_overlap_chars: int = 60
    # ingest: per-file bounds (why each value: [ingest] in config/default.toml)
    chunk_hard_max_chars: int = 1000
    ingest_max_file_bytes: int = 32 * 2**20
    ingest_max_unpacked_bytes: int = 64 * 2**20
    ingest_max_text_chars: int = 1_000_000
    ingest_max_sections: int = 10_000
    ingest_max_chunks: int = 5_000
    ingest_max_parse_seconds: float = 30.0
    ingest_max_html_depth: int = 256
    ingest_max_html_elements: int = 100_000
    ingest_max_pdf_pages: int = 2_000
    # index
    index_kind: str = "flat"
    hnsw_m: int = 32
    ivf_nprobe: int = 16
    vector_store: str = "faiss"
    milvus_uri: str = ""
    keyword_index: str = "bm25"
    kb: str = "plans"
    keep_generations: int = 2
    writer_wait_seconds: float = 30.0
    full_check_on_load: bool = True
    undo_seconds: float = 60.0
    max_upload_files: int = 20
    # retrieval
    top_k: int = 5
    candidates: int = 50
    fusion: str = "weighted"
    bm25_weight: float = 0.5
    dense_weight: float = 0.5
    rrf_k: int = 60
    # answering
    min_evidence: float = 0.5
    evidence_model: Path = ROOT / "config" / "evidence_model.json"
    reload_check_seconds: float = 1.0
    answer_passages: int = 8
    answerer: str = "extractive"
    max_quote_chars: int = 220
    # api
    host: str = "127.0.0.1"
    port: int = 8000
    max_question_chars: int = 500
    max_body_bytes: int = 65536
    api_key: str = ""
    rate_limit_per_minute: int = 0
    cors_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    public_docs: bool = False
    keep_alive_seconds: float = 5.0
    request_timeout_seconds: float = 10.0
    max_connections: int = 1000
    max_header_bytes: int = 16384
    max_in_flight: int = 2
    queue_wait_seconds: float = 0.25
    feedback_busy_seconds: float = 2.0
    log_questions: bool = True

    @property
    def store_kind(self) -> str:
        """The vector store to build: "milvus", or FAISS's index_kind (flat, hnsw, ivf-sq8)."""
        return "milvus" if self.vector_store == "milvus" else self.index_kind

    @property
    def milvus_location(self) -> str:
        """milvus_uri, or a milvus-lite file in the data directory when it is empty."""
        return self.milvus_uri or str(self.data_dir / "milvus.db")

    @property
    def kbs_dir(self) -> Path:
        """Where every knowledge base keeps its index generations."""
        return self.data_dir / "kbs"

    @property
    def index_dir(self) -> Path:
        """The generations of the knowledge base `kb` (see rag/index/generations.py)."""
        return self.kbs_dir / self.kb

    @property
    def legacy_index_dir(self) -> Path:
        """Where indexes lived before knowledge bases and generations; read once, kept."""
        return self.data_dir / "index"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated like a fresh load)."""
        return _validated(dataclasses.replace(self, **changes))


def _coerce(name: str, raw: Any, target: Any) -> Any:
    """Convert a TOML or environment value to the field's type, or say which rule it broke."""
    try:
        if isinstance(target, bool):
            if isinstance(raw, str):
                return raw.strip().lower() in {"1", "true", "yes", "on"}
            return bool(raw)
        if isinstance(target, int):
            return int(raw)
        if isinstance(target, float):
            return float(raw)
        if isinstance(target, Path):
            path = Path(os.path.expanduser(str(raw)))
            return path if path.is_absolute() else ROOT / path
        if isinstance(target, tuple):
            if isinstance(raw, str):
                return tuple(part.strip() for part in raw.split(",") if part.strip())
            return tuple(str(part) for part in raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise InputError(f"setting {name} must be a {type(target).__name__}; got {raw!r}") from exc


def _flatten(table: Mapping[str, Any]) -> dict[str, Any]:
    """TOML sections only group keys for the reader; field names are unique across them."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value))
        else:
            flat[key] = value
    return flat


def _validated(settings: Settings) -> Settings:
    if settings.top_k < 1:
        raise InputError(f"top_k must be at least 1; got {settings.top_k}")
    if settings.candidates < settings.top_k:
        raise InputError(
            f"candidates must be at least top_k ({settings.top_k}); got {settings.candidates}"
        )
    if settings.fusion not in {"weighted", "rrf", "bm25", "dense"}:
        raise InputError(
            f"fusion must be one of weighted, rrf, bm25, dense; got {settings.fusion!r}"
        )
    if settings.embedding_backend not in {"torch", "onnx"}:
        raise InputError(
            f"embedding_backend must be torch or onnx; got {settings.embedding_backend!r}"
        )
    if settings.vector_store not in {"faiss", "milvus"}:
        raise InputError(f"vector_store must be faiss or milvus; got {settings.vector_store!r}")
    if settings.index_kind not in {"flat", "hnsw", "ivf-sq8"}:
        raise InputError(f"index_kind must be flat, hnsw or ivf-sq8; got {settings.index_kind!r}")
    if settings.ivf_nprobe < 1:
        raise InputError(f"ivf_nprobe must be at least 1; got {settings.ivf_nprobe}")
    # the names the factories know (rag/index/keyword.py, rag/answer/answerer.py), spelled out
    # here so reading the settings imports neither
    if settings.keyword_index not in {"bm25"}:
        raise InputError(f"keyword_index must be bm25; got {settings.keyword_index!r}")
    if settings.answerer not in {"extractive"}:
        raise InputError(f"answerer must be extractive; got {settings.answerer!r}")
    if settings.chunk_overlap_chars >= settings.chunk_max_chars:
        raise InputError(
            "chunk_overlap_chars must be smaller than chunk_max_chars; got "
            f"{settings.chunk_overlap_chars} >= {settings.chunk_max_chars}"
        )
    if settings.chunk_hard_max_chars < settings.chunk_max_chars:
        raise InputError(
            "chunk_hard_max_chars must be at least chunk_max_chars; got "
            f"{settings.chunk_hard_max_chars} < {settings.chunk_max_chars}"
        )
    for bound in (f.name for f in dataclasses.fields(settings) if f.name.startswith("ingest_max")):
        if getattr(settings, bound) <= 0:
            raise InputError(f"{bound} must be positive; got {getattr(settings, bound)}")
    if not KB_NAME.fullmatch(settings.kb):
        raise InputError(
            "kb must be 1-40 letters (Latin or Chinese), digits, '-' or '_' (a folder name); "
            f"got {settings.kb!r}"
        )
    if settings.keep_generations < 2:
        raise InputError(f"keep_generations must be at least 2; got {settings.keep_generations}")
    if settings.max_question_chars < 1:
        raise InputError(f"max_question_chars must be positive; got {settings.max_question_chars}")
    return settings


def load_settings(
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings from the default TOML, an optional TOML file, RAG_* variables and overrides."""
    defaults = Settings()
    known = {f.name: getattr(defaults, f.name) for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    for path in (DEFAULT_CONFIG, config_file):
        if path is None or not path.exists():
            if path is config_file and path is not None:
                raise InputError(f"config file {path} does not exist")
            continue
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"config file {path} is not valid TOML: {exc}") from exc
        for key, raw in _flatten(table).items():
            if key not in known:
                raise InputError(f"config file {path}: unknown setting {key!r}")
            values[key] = _coerce(key, raw, known[key])
    environ = os.environ if env is None else env
    for name, target in known.items():
        raw_env = environ.get(f"RAG_{name.upper()}")
        if raw_env is not None:
            values[name] = _coerce(name, raw_env, target)
    for key, raw in overrides.items():
        if key not in known:
            raise InputError(f"unknown setting {key!r}")
        values[key] = _coerce(key, raw, known[key])
    return _validated(dataclasses.replace(defaults, **values))
