"""Load a BERT-family encoder folder and turn sentences into normalised embeddings.

Shared by the converter's fidelity test (``buddy base e5``), the transformer classifier and
any learned signal that wants sentence vectors (the crisis model may build on it): one place
knows how e5-style embeddings are made — ``query: `` prefix, mean over real tokens, L2 norm.
torch and transformers are imported only when called.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import ModelError

QUERY_PREFIX = "query: "
INSTALL_HINT = "Install the transformer extra first: pip install 'buddy-counsel[kobert]'."


def load_encoder(folder: Path | str, device: str = "cpu") -> tuple[Any, Any]:
    """``(tokenizer, model)`` of the encoder in ``folder`` (offline; model in eval mode)."""
    try:
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - only without the extra
        raise ModelError(f"Loading an encoder needs transformers. {INSTALL_HINT}") from exc
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise ModelError(
            f"{folder} is not an encoder folder (config.json missing); write one with "
            "`buddy base e5 --out DIR`."
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = AutoModel.from_pretrained(str(folder), local_files_only=True)
    except Exception as exc:  # transformers raises many kinds for a bad folder
        raise ModelError(f"cannot load the encoder in {folder} ({exc}); rewrite it.") from exc
    return tokenizer, model.to(device).eval()


def mean_pool(hidden: Any, mask: Any) -> Any:
    """Average ``hidden`` [batch, tokens, dim] over the tokens where ``mask`` is 1."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def embed(
    texts: Sequence[str],
    tokenizer: Any,
    model: Any,
    prefix: str = QUERY_PREFIX,
    batch_size: int = 32,
    max_length: int = 512,
) -> Any:
    """L2-normalised mean-pooled embeddings of ``prefix + text`` as a float32 numpy array."""
    import numpy as np
    import torch

    rows = []
    device = next(model.parameters()).device
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            chunk = [prefix + t for t in texts[start : start + batch_size]]
            enc = tokenizer(chunk, padding=True, truncation=True, max_length=max_length,
                            return_tensors="pt").to(device)
            hidden = model(**enc).last_hidden_state
            pooled = mean_pool(hidden, enc["attention_mask"])
            rows.append(torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy())
    if not rows:
        return np.zeros((0, int(model.config.hidden_size)), dtype=np.float32)
    return np.concatenate(rows)
