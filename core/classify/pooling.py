"""How a transformer classifier turns its token states into one sentence vector: ``cls`` or ``mean``.

Why two: ``BertForSequenceClassification`` reads the first (``[CLS]``/``<s>``) state through
BERT's pooler — right for KoBERT, which was pre-trained that way. multilingual-e5 was
pre-trained for the *mean* of its real tokens' states; its ``<s>`` state starts out nearly
the same for every sentence, so a CLS head learns slowly from it (0.23 top-1 after four
wellness epochs). :class:`MeanPoolBertForSequenceClassification` is the same encoder and
head with the mean over real tokens (attention-mask weighted) instead.

The choice is saved in the model folder's ``config.json`` as ``"pooling": "mean"`` (absent or
``"cls"``: the stock class), and every place that rebuilds the network — serving
(:mod:`core.classify.kobert`), the int8 ONNX export (:mod:`core.classify.onnx_runtime`),
``buddy bench inference`` and training — goes through :func:`load_sequence_classifier`, so
they all pool the same way. torch and transformers are imported only when called.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.classify.encoder import mean_pool

POOLING_CHOICES = ("auto", "cls", "mean")
CONFIG_KEY = "pooling"
# What ``buddy base e5`` leaves in a base folder beside config.json.
E5_MARKER = "buddy_base.json"


def folder_pooling(folder: Path | str) -> str:
    """The pooling a folder's ``config.json`` records: ``"mean"`` or ``"cls"`` (the default)."""
    path = Path(folder) / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "cls"
    return "mean" if config.get(CONFIG_KEY) == "mean" else "cls"


def default_pooling(base_folder: Path | str) -> str:
    """``auto`` resolved for a base: what it was trained with, else mean for e5, else cls.

    An e5-format base is one written by ``buddy base e5`` or one whose tokenizer is XLM-R's
    (multilingual-e5 checkpoints); KoBERT and other BERTs keep the CLS head they were
    pre-trained for.
    """
    folder = Path(base_folder)
    if folder_pooling(folder) == "mean" or (folder / E5_MARKER).is_file():
        return "mean"
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "cls"
    tokenizer = str(config.get("tokenizer_class") or "")
    return "mean" if tokenizer.startswith("XLMRoberta") else "cls"


def _mean_pool_class() -> Any:
    """Build the class lazily so importing this module never imports torch."""
    global _MEAN_CLASS
    if _MEAN_CLASS is not None:
        return _MEAN_CLASS
    import torch
    from transformers import BertConfig, BertModel, BertPreTrainedModel
    from transformers.modeling_outputs import SequenceClassifierOutput


    class MeanPoolBertForSequenceClassification(BertPreTrainedModel):
        """BERT encoder, mean over real tokens, standardised, dropout, a linear layer to labels.

        Parameter names match ``BertForSequenceClassification`` (``bert.*``,
        ``classifier.*``) minus the pooler, so freezing, checkpoints and the ONNX
        quantiser's "keep the classifier fp32" rule treat both alike; ``pool_norm`` holds
        only running statistics (no trained weights).
        """

        config_class = BertConfig
        base_model_prefix = "bert"

        def __init__(self, config: Any) -> None:
            super().__init__(config)
            config.pooling = "mean"
            self.num_labels = config.num_labels
            self.bert = BertModel(config, add_pooling_layer=False)
            dropout = config.classifier_dropout
            self.dropout = torch.nn.Dropout(
                config.hidden_dropout_prob if dropout is None else dropout)
            # e5's mean vectors share a large common part (cosine ~0.88 between any two
            # wellness utterances; per-dimension spread 0.08 against a mean of 0.2), so the
            # head sees them standardised per dimension first, as MAE's linear probe does
            # (BatchNorm without affine parameters; running statistics when serving).
            self.pool_norm = torch.nn.BatchNorm1d(config.hidden_size, affine=False)
            self.classifier = torch.nn.Linear(config.hidden_size, config.num_labels)
            self.post_init()

        def forward(
            self,
            input_ids: Any = None,
            attention_mask: Any = None,
            token_type_ids: Any = None,
            labels: Any = None,
            **kwargs: Any,
        ) -> Any:
            if attention_mask is None:
                attention_mask = torch.ones_like(input_ids)
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            pooled = mean_pool(hidden, attention_mask).float()
            if self.training and pooled.shape[0] == 1:  # one example has no batch statistics
                norm = self.pool_norm
                pooled = torch.nn.functional.batch_norm(
                    pooled, norm.running_mean, norm.running_var, training=False, eps=norm.eps)
            else:
                pooled = self.pool_norm(pooled)
            pooled = pooled.to(hidden.dtype)
            logits = self.classifier(self.dropout(pooled))
            loss = None
            if labels is not None:
                loss = torch.nn.functional.cross_entropy(logits.float(), labels)
            return SequenceClassifierOutput(loss=loss, logits=logits)

    _MEAN_CLASS = MeanPoolBertForSequenceClassification
    return _MEAN_CLASS


_MEAN_CLASS: Any = None


def classifier_class(pooling: str, has_model_type: bool = True) -> Any:
    """The transformers class that pools as ``pooling`` says (``mean`` or ``cls``)."""
    if pooling == "mean":
        return _mean_pool_class()
    from transformers import AutoModelForSequenceClassification, BertForSequenceClassification

    # Old KoBERT uploads have no ``model_type``; they are plain BERT.
    return AutoModelForSequenceClassification if has_model_type else BertForSequenceClassification


def load_sequence_classifier(folder: Path | str, **kwargs: Any) -> Any:
    """A trained classifier from ``folder`` with the pooling its ``config.json`` records.

    ``kwargs`` go to ``from_pretrained`` (``local_files_only`` and ``use_safetensors`` are
    set). Serving, export and benchmarks all call this, never ``AutoModel...`` directly: a
    mean-pooled folder loaded by the stock class would silently get a random pooler.
    """
    folder = Path(folder)
    kwargs.setdefault("local_files_only", True)
    kwargs.setdefault("use_safetensors", True)
    return classifier_class(folder_pooling(folder)).from_pretrained(str(folder), **kwargs)
