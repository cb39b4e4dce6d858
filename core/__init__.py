"""Buddy's core: one message in, one reply out, with the crisis check first.

The public surface, for adapters (``bot/``), the CLI and anyone embedding Buddy::

    from core import Buddy, IncomingMessage, Settings, open_buddy

    async with open_buddy(Settings()) as buddy:
        reply = await buddy.handle(IncomingMessage("web", "user-1", "요즘 잠이 안 와요"))

Names load lazily (PEP 562 ``__getattr__``): ``import core.config`` stays light and
``import core`` alone imports nothing (no SQLAlchemy, no Kiwi, no numpy). Anything not
listed here is internal; import it from its module only inside this project.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name → the module that defines it
_EXPORTS: dict[str, str] = {
    # the counselling core and its composition root
    "Buddy": "core.pipeline",
    "open_buddy": "core.app",
    "load_configured_model": "core.app",
    "LoadedModel": "core.app",
    "AnswerBook": "core.answers",
    # messages in and out
    "IncomingMessage": "core.messages",
    "Reply": "core.messages",
    "ReplyKind": "core.messages",
    # configuration
    "Settings": "core.config",
    "load_settings": "core.config",
    # the crisis check: usable with or without a classifier
    "assess": "core.safety",
    "SafetyAssessment": "core.safety",
    "HOTLINES": "core.safety",
    # models: any folder written by `buddy train`
    "Classifier": "core.classify.base",
    "Prediction": "core.classify.base",
    "load_model": "core.classify.loader",
    # the error tree (messages are safe to show and say what to do next)
    "BuddyError": "core.errors",
    "ConfigError": "core.errors",
    "DataFormatError": "core.errors",
    "ModelError": "core.errors",
    "MissingResourceError": "core.errors",
    "StorageError": "core.errors",
}

__all__ = [  # the same names as _EXPORTS (a test checks), literal for linters
    "AnswerBook",
    "Buddy",
    "BuddyError",
    "Classifier",
    "ConfigError",
    "DataFormatError",
    "HOTLINES",
    "IncomingMessage",
    "LoadedModel",
    "MissingResourceError",
    "ModelError",
    "Prediction",
    "Reply",
    "ReplyKind",
    "SafetyAssessment",
    "Settings",
    "StorageError",
    "assess",
    "load_configured_model",
    "load_model",
    "load_settings",
    "open_buddy",
]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time __getattr__ does the work
    from core.answers import AnswerBook
    from core.app import LoadedModel, load_configured_model, open_buddy
    from core.classify.base import Classifier, Prediction
    from core.classify.loader import load_model
    from core.config import Settings, load_settings
    from core.errors import (
        BuddyError,
        ConfigError,
        DataFormatError,
        MissingResourceError,
        ModelError,
        StorageError,
    )
    from core.messages import IncomingMessage, Reply, ReplyKind
    from core.pipeline import Buddy
    from core.safety import HOTLINES, SafetyAssessment, assess


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use and cache the name here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
