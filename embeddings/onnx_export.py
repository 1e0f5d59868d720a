"""Export the prepared model to ONNX at set-up: a graph fused for ONNX Runtime, and an int8 copy.

Written into `<model_dir>/onnx/` with its own manifest and stamp. sentence-transformers'
`backend="onnx"` cannot do this here: it needs optimum-onnx, whose newest release (0.1.0)
requires transformers < 4.58 while sentence-transformers 6 requires transformers >= 5. So the
graph is exported with torch's exporter, fused with onnxruntime.transformers' BERT optimizer and
quantised with onnxruntime.quantization, the tools optimum itself wraps.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embeddings.embedder import check_model_dir, model_identity
from embeddings.manifest import MANIFEST, read_manifest, sha256_file
from rag.errors import ConfigError

logger = logging.getLogger(__name__)

ONNX_DIR = "onnx"
# Bump whenever the export writes different graphs or weights, so old exports are redone.
EXPORTER_VERSION = 1
EXPORT_STAMP = ".exported"
# variant -> file inside ONNX_DIR; "fp32" is the fused graph, "int8" its quantised copy
VARIANT_FILES = {"fp32": "model_fp32.onnx", "int8": "model_int8.onnx"}
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "last_hidden_state"
OPSET = 17
# Per-channel int8 for every weight matrix (MatMul, the fused Attention's QKV). ONNX Runtime's
# dynamic quantiser handles the fused embedding op's tables (word, position, type, LayerNorm)
# per tensor only, as uint8; measured on 300 seed sentences that costs nothing over keeping them
# fp32 (worst cosine to torch 0.9944 quantised, 0.9942 fp32) and shrinks the file 407 -> 118 MB.
QUANTIZED_OPS = ("MatMul", "Attention", "EmbedLayerNormalization")
# Lowest cosine to the torch model, on the probes, that an int8 export may have to be kept.
MIN_COSINE = 0.99
# model_type in config.json -> onnxruntime.transformers optimizer model type
# (only BERT: the converter writes one; RoBERTa's offset position ids are a different pattern)
_OPTIMIZER_TYPES = {"bert": "bert"}


@dataclass(frozen=True)
class OnnxLayout:
    """What the ONNX backend needs to know about a sentence-transformers directory."""

    transformer_dir: Path
    max_seq_length: int
    dim: int


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} must be readable JSON ({exc})") from exc


def onnx_layout(model_dir: Path) -> OnnxLayout:
    """Check that `model_dir` is Transformer -> mean Pooling -> Normalize, which is what the ONNX
    backend reproduces; other pipelines need embedding_backend = "torch"."""
    check_model_dir(model_dir)
    modules = _read_json(model_dir / "modules.json")
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules if isinstance(m, dict)]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise ConfigError(
            "embedding_backend onnx needs a Transformer, Pooling, Normalize model; "
            f'{model_dir} has {kinds}; set embedding_backend = "torch" for it'
        )
    pooling = _read_json(model_dir / str(modules[1].get("path", "")) / "config.json")
    modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True)
    if modes != ["pooling_mode_mean_tokens"] or pooling.get("include_prompt", True) is not True:
        raise ConfigError(
            "embedding_backend onnx needs mean pooling over all tokens, prompt included; "
            f"{model_dir} pools with {modes} (include_prompt={pooling.get('include_prompt')}); "
            'set embedding_backend = "torch" for it'
        )
    transformer_dir = model_dir / str(modules[0].get("path", ""))
    if not (transformer_dir / "tokenizer.json").is_file():
        raise ConfigError(
            f"embedding_backend onnx needs the fast tokenizer {transformer_dir}/tokenizer.json; "
            'it is missing; set embedding_backend = "torch" for this model'
        )
    st_config = _read_json(transformer_dir / "sentence_bert_config.json")
    config = _read_json(transformer_dir / "config.json")
    return OnnxLayout(
        transformer_dir=transformer_dir,
        max_seq_length=int(st_config.get("max_seq_length") or config["max_position_embeddings"]),
        dim=int(config["hidden_size"]),
    )


def export_identity(model_dir: Path) -> str:
    """What an export records as its source: the model's identity plus the exporter version."""
    return f"{model_identity(model_dir)}-e{EXPORTER_VERSION}"


def is_export_current(model_dir: Path, onnx_dir: Path | None = None) -> bool:
    """True when `onnx_dir` (default `<model_dir>/onnx`) is a finished export of this model by
    this exporter version, with every variant's file present."""
    onnx_dir = onnx_dir or model_dir / ONNX_DIR
    manifest = read_manifest(onnx_dir)
    return (
        manifest is not None
        and (onnx_dir / EXPORT_STAMP).is_file()
        and manifest.get("source_model") == export_identity(model_dir)
        and all((onnx_dir / name).is_file() for name in VARIANT_FILES.values())
    )


def _export_graph(transformer_dir: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    # Eager attention traces to the MatMul/Softmax pattern the BERT optimizer fuses.
    model = AutoModel.from_pretrained(
        str(transformer_dir), attn_implementation="eager", local_files_only=True
    ).eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            return out.last_hidden_state  # type: ignore[no-any-return]

    # Two rows, one padded, so the traced mask handling is the general one.
    ids = torch.tensor([[0, 6, 7, 8, 2], [0, 6, 7, 2, 1]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]])
    axes = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings():
        # The tracer's notes on Python-level shape checks in transformers' mask code; the
        # verification below is what shows the graph generalises.
        warnings.simplefilter("ignore")
        # The TorchScript exporter: the BERT optimizer's fusion patterns are written against it.
        torch.onnx.export(
            LastHiddenState(model),
            (ids, mask),
            str(target),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAMES[0]: axes, INPUT_NAMES[1]: axes, OUTPUT_NAME: axes},
            opset_version=OPSET,
            dynamo=False,
            do_constant_folding=True,
        )


def _fuse(raw: Path, target: Path, config: dict[str, Any]) -> dict[str, int]:
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    model_type = _OPTIMIZER_TYPES.get(str(config.get("model_type")))
    if model_type is None:
        raise ConfigError(
            f"ONNX export supports model types {sorted(_OPTIMIZER_TYPES)}; "
            f'got {config.get("model_type")!r}; use embedding_backend = "torch"'
        )
    # opt_level 0: only the Python fusions, no hardware-specific rewrites baked into the file;
    # ONNX Runtime applies those itself when it loads the model.
    optimized = optimize_model(
        str(raw),
        model_type=model_type,
        num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]),
        opt_level=0,
        optimization_options=FusionOptions(model_type),
    )
    fused = {k: int(v) for k, v in optimized.get_fused_operator_statistics().items() if v}
    if fused.get("Attention", 0) != int(config["num_hidden_layers"]):
        logger.warning("only %s of the attention layers fused: %s", fused.get("Attention"), fused)
    optimized.save_model_to_file(str(target))
    return fused


def _quantize(source: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantiser's root-logger advice to run its pre-processing is aimed at static
    # quantisation; the fused graph already is what pre-processing would make.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(source),
            str(target),
            op_types_to_quantize=list(QUANTIZED_OPS),
            per_channel=True,
            reduce_range=False,
            weight_type=QuantType.QInt8,
            # the fused ops come from the com.microsoft domain, which shape inference cannot type
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


def check_against_torch(model_dir: Path, onnx_dir: Path, min_cosine: float = MIN_COSINE) -> float:
    """Raise ValueError unless the int8 export in `onnx_dir` embeds the probes like torch does.

    Returns the lowest cosine seen over query and passage mode.
    """
    from embeddings.convert import PROMPTS
    from embeddings.embedder import SentenceTransformerEmbedder
    from embeddings.onnx_embedder import OnnxEmbedder
    from embeddings.verify import PROBES

    common: dict[str, Any] = {
        "query_prompt": PROMPTS["query"],
        "passage_prompt": PROMPTS["passage"],
        "batch_size": len(PROBES),
        "max_seq_length": 512,
        "threads": 2,
    }
    reference = SentenceTransformerEmbedder(model_dir, **common)
    exported = OnnxEmbedder(model_dir, variant="int8", onnx_dir=onnx_dir, **common)
    lowest = 1.0
    for mine, theirs in (
        (exported.embed_queries(PROBES), reference.embed_queries(PROBES)),
        (exported.embed_passages(PROBES), reference.embed_passages(PROBES)),
    ):
        cosines = (mine * theirs).sum(axis=1)
        worst = int(cosines.argmin())
        lowest = min(lowest, float(cosines[worst]))
        if cosines[worst] < min_cosine:
            raise ValueError(
                f"int8 ONNX export must agree with the torch model to cosine >= {min_cosine}; "
                f"got {cosines[worst]:.5f} on {PROBES[worst]!r}"
            )
    logger.info("int8 ONNX export agrees with torch: lowest cosine %.5f", lowest)
    return lowest


def export_onnx(model_dir: Path, check: bool = True) -> Path:
    """Write `<model_dir>/onnx/` (fused fp32 graph, its int8 copy, manifest, stamp) atomically.

    With `check`, the int8 copy must match the torch model on the probes before it replaces a
    previous export; a failure leaves the previous export untouched.
    """
    from embeddings.convert import swap_into_place

    model_dir = model_dir.resolve()
    layout = onnx_layout(model_dir)
    config = _read_json(layout.transformer_dir / "config.json")
    staging = Path(tempfile.mkdtemp(prefix=f".{ONNX_DIR}.tmp-", dir=model_dir))
    try:
        raw = staging / "raw.onnx"
        _export_graph(layout.transformer_dir, raw)
        fp32 = staging / VARIANT_FILES["fp32"]
        fused = _fuse(raw, fp32, config)
        raw.unlink()
        _quantize(fp32, staging / VARIANT_FILES["int8"])
        lowest = check_against_torch(model_dir, staging) if check else None
        manifest = {
            "source_model": export_identity(model_dir),
            "exporter_version": EXPORTER_VERSION,
            "opset": OPSET,
            "inputs": list(INPUT_NAMES),
            "output": OUTPUT_NAME,
            "fused_operators": fused,
            "quantization": {
                "mode": "dynamic",
                "weight_type": "QInt8",
                "per_channel": True,
                "reduce_range": False,
                "op_types": list(QUANTIZED_OPS),
            },
            "min_cosine_int8_vs_torch": lowest,
            "files": {
                variant: {"file": name, "sha256": sha256_file(staging / name)}
                for variant, name in VARIANT_FILES.items()
            },
            "versions": {
                name: importlib.metadata.version(name)
                for name in ("torch", "transformers", "onnx", "onnxruntime")
            },
        }
        (staging / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        (staging / EXPORT_STAMP).touch()
        for path in staging.iterdir():
            path.chmod(0o644)
        # mkdtemp makes the directory owner-only; the model is shared like any data directory.
        staging.chmod(0o755)
        swap_into_place(staging, model_dir / ONNX_DIR)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("exported %s to ONNX in %s", model_dir.name, model_dir / ONNX_DIR)
    return model_dir / ONNX_DIR


def missing_export_message(model_dir: Path, onnx_dir: Path) -> str:
    """Why the ONNX backend cannot start, and what to run."""
    if not onnx_dir.is_dir():
        problem = f"ONNX export {onnx_dir} does not exist"
    else:
        problem = f"ONNX export {onnx_dir} is unfinished or was made from another model"
    return (
        f"{problem}; run `make model` (for a model of your own: `python -m embeddings.prepare "
        f'--export-only --out {model_dir}`), or set embedding_backend = "torch"'
    )
