"""How the fp32 ONNX graph of a transformer classifier becomes the int8 graph Buddy serves.

Two schemes, both 8-bit weights with int8 arithmetic; they differ in how finely the
*activations* are quantised, which is what decides agreement with the fp32 model:

- ``block8`` (the default): every encoder ``MatMul`` becomes ONNX Runtime's ``MatMulNBits``
  with 8-bit weights in blocks of 64 input channels and ``accuracy_level=4`` (int8 compute):
  the activations are quantised per row (token) and per 64-channel block, so one outlier
  token or channel costs precision only inside its own block. Fine-tuned e5-small, 1,040
  wellness test utterances: top-1 agreement with fp32 PyTorch 0.992 (with the SmoothQuant
  scaling of :mod:`core.classify.smoothing`), ~3x faster than fp32 PyTorch on one thread.
- ``dynamic8``: onnxruntime's ``quantize_dynamic`` (per-channel weights, one activation
  scale per matrix): 4.2-4.9x faster, but agreement only 0.96 even after SmoothQuant
  (0.89 without). Kept for whoever prefers speed to fidelity.

Measurements and what else was tried (static QDQ calibration, fp16, 128-wide blocks,
mixes): docs/TRANSFORMER.md §6. In both schemes the classifier head stays fp32 (it decides
the label and costs nothing), and so do the embedding tables: they are a lookup, not
arithmetic, so their precision buys no speed, while every smaller format measured cost
agreement on e5 (0.992 with float32 tables; float16 0.988, int8 with a scale per row 0.987,
onnxruntime's int8 with one scale per table 0.982, 4-bit blocks 0.973). The price is the
file: 163 MB for e5-small instead of 57 MB (fp32 weights: 225 MB). onnx and onnxruntime
are imported only when called.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

from core.errors import ModelError

SCHEMES = ("block8", "dynamic8")
DEFAULT_SCHEME = "block8"
BLOCK_SIZE = 64
ACCURACY_LEVEL = 4  # MatMulNBits: int8 activations, quantised per row and block
HEAD_MARKERS = ("classifier", "pooler")

_DESCRIPTIONS = {
    "block8": f"MatMulNBits 8-bit weights, blocks of {BLOCK_SIZE}, int8 compute "
              f"(accuracy_level {ACCURACY_LEVEL}); pooler and classifier fp32",
    "dynamic8": "dynamic int8, per-channel weights; pooler and classifier fp32",
}


def describe(scheme: str, smoothed: bool) -> str:
    """One line for ``model.int8.json``: what a reader of the export needs to know."""
    text = _DESCRIPTIONS[scheme]
    return text + ("; SmoothQuant-scaled encoder" if smoothed else "")


def head_nodes(src: Path) -> list[str]:
    """Names of the graph nodes that belong to the pooler or the classifier (kept fp32)."""
    import onnx

    graph = onnx.load(str(src), load_external_data=False).graph
    return [n.name for n in graph.node if any(m in n.name for m in HEAD_MARKERS)]


def quantize_graph(src: Path, dst: Path, scheme: str = DEFAULT_SCHEME) -> None:
    """Write the ``scheme``-quantised version of the fp32 graph ``src`` to ``dst``."""
    if scheme not in SCHEMES:
        raise ModelError(f"Unknown ONNX quantisation scheme {scheme!r}; use one of {SCHEMES}.")
    keep = head_nodes(src)
    logging.disable(logging.INFO)  # the quantisers log one INFO line per tensor on the root logger
    try:
        if scheme == "block8":
            _quantize_block8(src, dst, keep)
        else:
            _quantize_dynamic8(src, dst, keep)
    finally:
        logging.disable(logging.NOTSET)


def _quantize_block8(src: Path, dst: Path, keep_fp32: Collection[str]) -> None:
    import onnx
    from onnxruntime.quantization import QuantFormat
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    quantizer = MatMulNBitsQuantizer(
        onnx.load(str(src)), bits=8, block_size=BLOCK_SIZE, is_symmetric=True,
        accuracy_level=ACCURACY_LEVEL, nodes_to_exclude=list(keep_fp32),
        quant_format=QuantFormat.QOperator, op_types_to_quantize=("MatMul",),
    )
    quantizer.process()
    quantizer.model.save_model_to_file(str(dst), use_external_data_format=False)


def _quantize_dynamic8(src: Path, dst: Path, keep_fp32: Collection[str]) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src), str(dst), per_channel=True, weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"], nodes_to_exclude=list(keep_fp32),
        extra_options={"MatMulConstBOnly": True},
    )
