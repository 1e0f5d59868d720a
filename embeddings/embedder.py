"""The Embedder protocol and its implementation over a local sentence-transformers directory."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from embeddings.manifest import MANIFEST, STAMP, read_manifest, source_sha256
from embeddings.offline import force_offline
from rag.errors import ModelMissingError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from rag.config import Settings

logger = logging.getLogger(__name__)

PREPARE_HINT = (
    "run `make model` or `python -m embeddings.prepare` to create it, "
    "or point model_dir (RAG_MODEL_DIR) at a local sentence-transformers model"
)
# Part of `name`: an index built by one backend is refused by the other (their vectors differ).
TORCH_BACKEND_TAG = "torch-fp32"
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


class Embedder(Protocol):
    """Texts in, L2-normalised float32 rows out; `name` identifies the model in index manifests."""

    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> NDArray[np.float32]:
        """Embed search questions: shape (len(texts), dim)."""
        ...

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> NDArray[np.float32]:
        """Embed document chunks: shape (len(texts), dim)."""
        ...


def check_model_dir(model_dir: Path) -> None:
    """Raise ModelMissingError unless `model_dir` holds a complete sentence-transformers model."""
    if not model_dir.is_dir():
        raise ModelMissingError(
            f"embedding model directory {model_dir} does not exist; {PREPARE_HINT}"
        )
    if (model_dir / MANIFEST).exists() and not (model_dir / STAMP).exists():
        raise ModelMissingError(
            f"embedding model directory {model_dir} has a manifest but no {STAMP} stamp, "
            f"so its conversion did not finish; {PREPARE_HINT}"
        )
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelMissingError(
            f"embedding model directory {model_dir} needs a readable modules.json ({exc}); "
            f"{PREPARE_HINT}"
        ) from exc
    transformer_dirs = [
        model_dir / str(module.get("path", ""))
        for module in (modules if isinstance(modules, list) else [])
        if isinstance(module, dict) and str(module.get("type", "")).endswith("Transformer")
    ]
    if not transformer_dirs:
        raise ModelMissingError(
            f"embedding model directory {model_dir} must list a Transformer module in "
            f"modules.json; it lists none; {PREPARE_HINT}"
        )
    for directory in transformer_dirs:
        missing = [] if (directory / "config.json").is_file() else ["config.json"]
        if not any((directory / name).is_file() for name in WEIGHT_FILES):
            missing.append(" or ".join(WEIGHT_FILES))
        if missing:
            raise ModelMissingError(
                f"embedding model directory {directory} is incomplete: missing "
                f"{', '.join(missing)}; {PREPARE_HINT}"
            )


def model_identity(model_dir: Path) -> str:
    """The directory name, plus source digest and converter version for converted models."""
    manifest = read_manifest(model_dir)
    digest = source_sha256(manifest) if manifest is not None else None
    if manifest is None or digest is None:
        return model_dir.name
    return f"{model_dir.name}@{digest[:12]}-c{manifest.get('converter_version')}"


class SentenceTransformerEmbedder:
    """An Embedder backed by `sentence_transformers.SentenceTransformer` on the CPU."""

    def __init__(
        self,
        model_dir: Path,
        query_prompt: str,
        passage_prompt: str,
        batch_size: int,
        max_seq_length: int,
        threads: int,
    ) -> None:
        for label, value in (
            ("batch_size", batch_size),
            ("max_seq_length", max_seq_length),
            ("threads", threads),
        ):
            if value < 1:
                raise ValueError(f"{label} must be at least 1; got {value}")
        check_model_dir(model_dir)
        force_offline()
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        try:
            model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        except OSError as exc:
            raise ModelMissingError(
                f"embedding model in {model_dir} could not be loaded ({exc}); {PREPARE_HINT}"
            ) from exc
        limit = model.max_seq_length
        if limit is not None and max_seq_length > limit:
            raise ValueError(
                f"max_seq_length must be at most {limit} for the model in {model_dir}; "
                f"got {max_seq_length}"
            )
        model.max_seq_length = max_seq_length
        dim = model.get_embedding_dimension()
        if dim is None:
            raise ModelMissingError(
                f"embedding model in {model_dir} must report its output dimension; it does not"
            )
        self._model: SentenceTransformer = model
        self.model_dir = model_dir
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.name = f"{model_identity(model_dir)}@{TORCH_BACKEND_TAG}"
        self.dim = int(dim)
        logger.info("loaded embedding model %s (dim %d) from %s", self.name, self.dim, model_dir)

    def embed_queries(self, texts: list[str]) -> NDArray[np.float32]:
        """Embed search questions with the query prompt."""
        return self._encode(texts, self.query_prompt, show_progress=False)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> NDArray[np.float32]:
        """Embed document chunks with the passage prompt."""
        return self._encode(texts, self.passage_prompt, show_progress=show_progress)

    def token_ids(self, text: str) -> list[int]:
        """The ids the model reads for `text` as given (no prompt added), specials included."""
        return [int(i) for i in self._model.tokenizer(text)["input_ids"]]

    def _encode(self, texts: list[str], prompt: str, show_progress: bool) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # An explicit prompt, even "", overrides any default prompt stored with the model.
        vectors = self._model.encode(
            texts,
            prompt=prompt,
            batch_size=self.batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_embedder(settings: Settings) -> Embedder:
    """The embedder the settings describe; with embedding_backend "onnx", torch is not loaded."""
    common = {
        "model_dir": settings.model_dir,
        "query_prompt": settings.query_prompt,
        "passage_prompt": settings.passage_prompt,
        "batch_size": settings.embed_batch_size,
        "max_seq_length": settings.max_seq_length,
        "threads": settings.torch_threads,
    }
    if settings.embedding_backend == "onnx":
        from embeddings.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(**common)  # type: ignore[arg-type]
    return SentenceTransformerEmbedder(**common)  # type: ignore[arg-type]
