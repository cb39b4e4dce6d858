"""Open any model folder as a :class:`~core.classify.base.Classifier`, whatever its backend.

The manifest's ``backend`` picks the class. Heavy backends are imported only when a folder
asks for them, so the embedded linear default never pulls in torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from core.classify.base import Classifier
from core.classify.model_folder import read_answers, read_manifest
from core.errors import ModelError

# backend name → (module, class); the class must offer ``load(folder) -> Classifier``.
BACKENDS: dict[str, tuple[str, str]] = {
    "linear": ("core.classify.linear", "LinearClassifier"),
    "transformer": ("core.classify.kobert", "KoBertClassifier"),
    "kobert": ("core.classify.kobert", "KoBertClassifier"),  # the transformer backend's old name
}

_HINTS = {
    "transformer": "install the KoBERT extra (`pip install -e '.[kobert]'`) or use a linear model",
    "kobert": "install the KoBERT extra (`pip install -e '.[kobert]'`) or use a linear model",
}


def _loader(backend: str, folder: Path) -> Callable[..., Classifier]:
    if backend not in BACKENDS:
        raise ModelError(
            f"{folder} uses backend {backend!r}, which this Buddy does not know "
            f"(known: {', '.join(sorted(BACKENDS))}). Upgrade Buddy or retrain with `buddy train`."
        )
    module_name, class_name = BACKENDS[backend]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = _HINTS.get(backend, "reinstall Buddy")
        raise ModelError(f"{folder} needs the {backend} backend, which cannot load ({exc}): "
                         f"{hint}.") from exc
    return getattr(module, class_name).load


def load_model(folder: Path) -> Classifier:
    """Read ``folder``'s manifest and load its backend; every failure is a ModelError."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    load = _loader(manifest.backend, folder)
    try:
        model = load(folder, model_id=manifest.model_id) if manifest.backend == "linear" \
            else load(folder)
    except ModelError:
        raise
    except Exception as exc:  # a backend's own parse error: say which folder and what to do
        raise ModelError(
            f"cannot load the {manifest.backend} model in {folder} ({exc}). "
            "Retrain it with `buddy train` or point BUDDY_MODEL at another folder."
        ) from exc
    if list(model.labels) != manifest.labels:
        raise ModelError(
            f"{folder}: the model's labels do not match buddy_model.json; the folder mixes "
            "files from two trainings. Retrain it with `buddy train`."
        )
    return model


def load_answers(folder: Path) -> dict[str, list[str]]:
    """The answers a model folder was trained with (``answers.json``)."""
    return read_answers(Path(folder))
