"""Files that ship inside Buddy's packages, found through :mod:`importlib.resources`.

Why: a path built from ``__file__`` (``REPO_ROOT / "data"``) only works in a checkout or an
editable install; after ``pip install buddy-counsel`` from a wheel there is no repository
root. The top-level ``data/`` folder is therefore the ``data`` package (it has an
``__init__.py`` and its files are package data in ``pyproject.toml``), so every install
carries it, and this module is the one place that turns a resource name into a path.

Missing files fail loudly: :func:`require` raises :class:`~core.errors.MissingResourceError`
naming the resource and what to do, instead of a feature quietly switching itself off.
Other parts of the core (the learned crisis model's files in ``core/safety/models``) call
:func:`require` the same way.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from core.errors import MissingResourceError

DATA_PACKAGE = "data"
REINSTALL = (
    "Reinstall Buddy (`pip install --force-reinstall buddy-counsel`, or `pip install -e .` in "
    "a checkout); the file ships inside the package."
)


def locate(package: str, *parts: str) -> Path:
    """Where ``parts`` inside ``package`` is (or would be) installed; checks nothing, so it is
    safe for defaults computed at import time. Raises :class:`MissingResourceError` only when
    the package itself cannot be imported or is not a folder on disk."""
    try:
        root = importlib.resources.files(package)
    except ModuleNotFoundError as exc:
        raise MissingResourceError(
            f"Buddy's {package!r} package is not installed, so {'/'.join(parts) or package} "
            f"cannot be read. {REINSTALL}"
        ) from exc
    if not isinstance(root, Path):  # a zip import: Buddy reads folders, so it needs real files
        raise MissingResourceError(
            f"Buddy's {package!r} package is inside an archive ({root}); install Buddy "
            "unpacked (`pip install buddy-counsel`) so its data files are real files."
        )
    return root.joinpath(*parts)


def require(package: str, *parts: str, what: str = "") -> Path:
    """The installed path of ``parts`` inside ``package``; :class:`MissingResourceError` with
    the resource's name, its purpose (``what``) and the fix when it is not there."""
    path = locate(package, *parts)
    if not path.exists():
        name = "/".join((package.replace(".", "/"), *parts))
        purpose = f" ({what})" if what else ""
        raise MissingResourceError(
            f"{name}{purpose} is missing from this installation: expected {path}. {REINSTALL}"
        )
    return path


def data_path(*parts: str) -> Path:
    """A path under Buddy's ``data/`` (e.g. ``data_path("dataset")``), not checked."""
    return locate(DATA_PACKAGE, *parts)


def require_dataset(folder: Path) -> Path:
    """``folder`` when it exists; else :class:`MissingResourceError` saying whether the
    packaged dataset is missing (reinstall) or ``BUDDY_DATA_DIR`` points nowhere."""
    folder = Path(folder)
    if folder.exists():
        return folder
    try:
        packaged = data_path("dataset")
    except MissingResourceError:
        packaged = None
    if packaged is not None and folder.resolve() != packaged.resolve():
        raise MissingResourceError(
            f"the dataset folder {folder} does not exist: BUDDY_DATA_DIR must name a folder "
            "of Buddy JSONL files (see data/README.md), or be unset to use the one Buddy ships."
        )
    raise MissingResourceError(
        f"data/dataset (the dataset the embedded default model trains from) is missing from "
        f"this installation: expected {folder}. {REINSTALL}"
    )
