"""An Embedder over the set-up ONNX export: onnxruntime and tokenizers only, torch never loads."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from embeddings.embedder import model_identity
from embeddings.onnx_export import (
    EXPORTER_VERSION,
    INPUT_NAMES,
    ONNX_DIR,
    VARIANT_FILES,
    is_export_current,
    missing_export_message,
    onnx_layout,
)
from rag.errors import ModelMissingError

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

# sentence-transformers' Pooling and Normalize guards against division by zero
_MIN_TOKENS = 1e-9
_MIN_NORM = 1e-12


def _session(path: Path, threads: int) -> onnxruntime.InferenceSession:
    import onnxruntime as ort
    from onnxruntime.capi.onnxruntime_pybind11_state import (
        Fail,
        InvalidGraph,
        InvalidProtobuf,
        NoSuchFile,
    )

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Spinning workers take a core from whatever else runs (the server, the other session);
    # the same lesson as OMP_WAIT_POLICY=PASSIVE for torch in embeddings/offline.py.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except (Fail, InvalidGraph, InvalidProtobuf, NoSuchFile) as exc:
        raise ModelMissingError(
            f"ONNX export {path} could not be loaded ({exc}); "
            "run `python -m embeddings.prepare --force` to export it again"
        ) from exc


class _TokenizerLoader(threading.Thread):
    """Tokenizer.from_file in a thread; result() joins and returns it or raises its error."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="tokenizer-load", daemon=True)
        self.path = path
        self._tokenizer: Tokenizer | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        from tokenizers import Tokenizer

        try:
            self._tokenizer = Tokenizer.from_file(str(self.path))
        except BaseException as exc:  # re-raised in the caller's thread by result()
            self._error = exc

    def result(self) -> Tokenizer:
        self.join()
        if self._error is not None:
            raise ModelMissingError(
                f"tokenizer {self.path} could not be read ({self._error}); "
                "run `python -m embeddings.prepare --force`"
            ) from self._error
        assert self._tokenizer is not None
        return self._tokenizer


class OnnxEmbedder:
    """An Embedder running the ONNX export with mean pooling and L2 normalisation in numpy.

    Reproduces the sentence-transformers pipeline the export was made from: the same
    tokenizer.json, prompt prepended to the text, truncation to max_seq_length, mean over all
    tokens (prompt included) and unit length.

    Queries and passages share one session of `threads` intra-op threads. `query_threads` gives
    queries a session of their own; on 2 shared cores a 1-thread query session saved about 1 ms
    (p50 4.3 vs 5.4 ms alone, 8.6 vs 9.7 ms with two clients, 12.3 vs 13.1 ms during an ingest)
    for about 200 MiB more memory, so it is not the default (bench/embedding_backends.py).
    """

    def __init__(
        self,
        model_dir: Path,
        query_prompt: str,
        passage_prompt: str,
        batch_size: int,
        max_seq_length: int,
        threads: int,
        variant: str = "int8",
        onnx_dir: Path | None = None,
        query_threads: int | None = None,
    ) -> None:
        for label, value in (
            ("batch_size", batch_size),
            ("max_seq_length", max_seq_length),
            ("threads", threads),
            ("query_threads", threads if query_threads is None else query_threads),
        ):
            if value < 1:
                raise ValueError(f"{label} must be at least 1; got {value}")
        if variant not in VARIANT_FILES:
            raise ValueError(f"variant must be one of {sorted(VARIANT_FILES)}; got {variant!r}")
        layout = onnx_layout(model_dir)
        if max_seq_length > layout.max_seq_length:
            raise ValueError(
                f"max_seq_length must be at most {layout.max_seq_length} for the model in "
                f"{model_dir}; got {max_seq_length}"
            )
        # An explicit onnx_dir is a staging export under test; only the installed one has to
        # match the model it sits in.
        installed = onnx_dir is None
        onnx_dir = onnx_dir or model_dir / ONNX_DIR
        path = onnx_dir / VARIANT_FILES[variant]
        if (installed and not is_export_current(model_dir)) or not path.is_file():
            raise ModelMissingError(missing_export_message(model_dir, onnx_dir))

        # The tokenizer is read once (0.7-0.9 s: building the 250k-piece Unigram model, which
        # holds the GIL) in a thread while the sessions are created (0.2-0.4 s, which releases
        # it): a start-up pays the longer of the two, not their sum.
        loading = _TokenizerLoader(layout.transformer_dir / "tokenizer.json")
        loading.start()
        try:
            self._session = _session(path, threads)
            self._query_session = (
                self._session
                if query_threads is None or query_threads == threads
                else _session(path, query_threads)
            )
        except BaseException:
            loading.join()
            raise
        tokenizer = loading.result()
        # The same truncation the transformers tokenizer applies: room is kept for <s> and </s>.
        tokenizer.enable_truncation(max_length=max_seq_length)
        tokenizer.no_padding()
        self._tokenizer: Tokenizer = tokenizer
        # Padded positions are masked out of attention and pooling; any id would do.
        self._pad_id = tokenizer.token_to_id("<pad>") or 0
        inputs = [i.name for i in self._session.get_inputs()]
        if inputs != list(INPUT_NAMES):
            raise ModelMissingError(
                f"ONNX export {path} must take inputs {list(INPUT_NAMES)}; it takes {inputs}; "
                "run `python -m embeddings.prepare --force`"
            )
        self.model_dir = model_dir
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.variant = variant
        self.dim = layout.dim
        self.name = f"{model_identity(model_dir)}@onnx-{variant}-e{EXPORTER_VERSION}"
        logger.info("loaded embedding model %s (dim %d) from %s", self.name, self.dim, path)

    def embed_queries(self, texts: list[str]) -> NDArray[np.float32]:
        """Embed search questions with the query prompt."""
        return self._encode(texts, self.query_prompt, self._query_session)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> NDArray[np.float32]:
        """Embed document chunks with the passage prompt."""
        return self._encode(texts, self.passage_prompt, self._session, show_progress)

    def token_ids(self, text: str) -> list[int]:
        """The ids the model reads for `text` as given (no prompt added), specials included."""
        return list(self._tokenizer.encode(text).ids)

    def _encode(
        self,
        texts: list[str],
        prompt: str,
        session: onnxruntime.InferenceSession,
        show_progress: bool = False,
    ) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch([prompt + text for text in texts])
        # Longest first, as sentence-transformers does: batches of similar length pad little.
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        starts = range(0, len(order), self.batch_size)
        if show_progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Batches", unit="batch")
        for start in starts:
            rows = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            (hidden,) = session.run(None, {INPUT_NAMES[0]: ids, INPUT_NAMES[1]: mask})
            out[rows] = mean_pooled(hidden, mask)
        return out


def mean_pooled(hidden: NDArray[np.float32], mask: NDArray[np.int64]) -> NDArray[np.float32]:
    """Mean of the unmasked token vectors, scaled to unit length: (batch, seq, dim) -> (batch, dim).

    The arithmetic of sentence-transformers' Pooling (mean) followed by Normalize.
    """
    weights = mask.astype(np.float32)
    summed = np.einsum("bld,bl->bd", hidden.astype(np.float32), weights)
    means = summed / np.maximum(weights.sum(axis=1, keepdims=True), _MIN_TOKENS)
    norms = np.maximum(np.linalg.norm(means, axis=1, keepdims=True), _MIN_NORM)
    unit: NDArray[np.float32] = (means / norms).astype(np.float32)
    return unit
