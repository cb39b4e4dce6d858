"""SmoothQuant-style scaling of a BERT encoder's linear layers before int8 export.

Why: int8 serving quantises each activation matrix with few scales, and BERT-family
encoders have a few input channels whose values are tens of times larger than the rest
(LayerNorm outlier dimensions, GELU outputs). Those channels set the scale, the ordinary
channels are left with a handful of int8 steps, and the fine-tuned e5's near-tied labels
flip (top-1 agreement with fp32 0.89). SmoothQuant (Xiao et al., 2023) moves the outliers
from the activation into the weight, whose quantisation is finer:

    y = x W^T = (x / s) (W * s)^T,   s_j = max|x_j|^a / max|W_:,j|^(1-a)

— the same function in fp32. ``max|x_j|`` comes from a few hundred real training
utterances (:func:`input_maxima`). Where the division can be folded into the layer before,
it is (the attention output projection's into the value projection: the attention-weighted
sum is linear per channel); elsewhere it becomes a forward pre-hook that the ONNX exporter
records as one ``Mul`` in front of the ``MatMul`` (query, key and value share one, since they
read the same input). The classifier head is left alone.

Applied only to a copy loaded for export: ``model.safetensors`` is never rewritten.
torch is imported only when called.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_ALPHA = 0.8  # measured best of 0.5-0.95 on the fine-tuned e5 (docs/TRANSFORMER.md §6)
_EPS = 1e-5


def input_maxima(model: Any, batches: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Largest absolute input seen per channel of every encoder linear layer, by module path.

    ``batches`` are tokenizer outputs (tensors); feed one text per batch so that padding
    never counts as an activation.
    """
    import torch

    maxima: dict[str, torch.Tensor] = {}

    def record(name: str) -> Any:
        def hook(_mod: Any, args: tuple[Any, ...]) -> None:
            x = args[0].detach().abs().reshape(-1, args[0].shape[-1]).amax(dim=0).float()
            maxima[name] = x if name not in maxima else torch.maximum(maxima[name], x)
        return hook

    hooks = [mod.register_forward_pre_hook(record(name))
             for name, mod in model.named_modules()
             if isinstance(mod, torch.nn.Linear) and ".encoder." in f".{name}."]
    try:
        with torch.inference_mode():
            for batch in batches:
                model(**batch)
    finally:
        for h in hooks:
            h.remove()
    return maxima


def smooth_encoder(model: Any, maxima: Mapping[str, Any], alpha: float = DEFAULT_ALPHA) -> int:
    """Scale every BERT layer of ``model`` in place (see the module docstring); returns layers done.

    ``alpha`` is the share of each outlier moved into the weight (0: none, 1: all of it).
    """
    import torch

    prefix = getattr(model, "base_model_prefix", "bert")
    layers = getattr(getattr(getattr(model, prefix, model), "encoder", None), "layer", [])
    done = 0
    with torch.no_grad():
        for i, layer in enumerate(layers):
            name = f"{prefix}.encoder.layer.{i}"
            att = layer.attention.self
            qkv = (att.query, att.key, att.value)
            ao, fc1, fc2 = layer.attention.output.dense, layer.intermediate.dense, layer.output.dense
            keys = [f"{name}.attention.self.query", f"{name}.attention.output.dense",
                    f"{name}.intermediate.dense", f"{name}.output.dense"]
            if not all(k in maxima for k in keys):
                continue
            s = _scale(maxima[keys[0]], torch.cat([m.weight for m in qkv]), alpha)
            for m in qkv:
                m.weight.mul_(s)
            _divide_input_of(att, s)
            s = _scale(maxima[keys[1]], ao.weight, alpha)
            att.value.weight.div_(s[:, None])
            att.value.bias.div_(s)
            ao.weight.mul_(s)
            for lin, key in ((fc1, keys[2]), (fc2, keys[3])):
                s = _scale(maxima[key], lin.weight, alpha)
                lin.weight.mul_(s)
                _divide_input_of(lin, s)
            done += 1
    return done


def _scale(x_max: Any, weight: Any, alpha: float) -> Any:
    """Per-input-channel s; channels never seen active keep 1 (nothing to migrate)."""
    import torch

    x_max = x_max.to(weight.dtype)
    w_max = weight.abs().amax(dim=0).clamp(min=_EPS)
    s = (x_max.clamp(min=_EPS).pow(alpha) / w_max.pow(1 - alpha)).clamp(min=_EPS)
    return torch.where(x_max > 0, s, torch.ones_like(s))


def _divide_input_of(module: Any, s: Any) -> None:
    module.register_buffer("smooth_inv_scale", (1.0 / s).contiguous(), persistent=False)
    module.register_forward_pre_hook(_divide_first_arg)


def _divide_first_arg(module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    return (args[0] * module.smooth_inv_scale, *args[1:])
