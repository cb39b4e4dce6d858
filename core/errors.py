"""Buddy's exception tree. Messages are written for the person who has to act on them.

    BuddyError
    ├── ConfigError          a setting is missing or invalid
    ├── DataFormatError      an input file cannot be read (names file and line)
    ├── ModelError           a model folder is missing, damaged or incompatible
    │   └── ModelNotFoundError
    ├── MissingResourceError a file Buddy ships (data/, model files) is not installed
    └── StorageError         the conversation log cannot be reached

User-facing Korean replies never carry these messages; adapters log them and answer kindly.
"""

from __future__ import annotations


class BuddyError(Exception):
    """Base class for errors Buddy raises on purpose."""


class ConfigError(BuddyError):
    """A setting is missing or invalid; the message names the setting and the fix."""


class DataFormatError(BuddyError):
    """An input file is malformed. ``path`` and ``line`` say where."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = str(path)
        self.line = line
        self.problem = problem


class ModelError(BuddyError):
    """A model folder cannot be used; the message names the folder and what to do."""


class ModelNotFoundError(ModelError):
    """The model folder does not exist."""


class MissingResourceError(BuddyError):
    """A file that ships with Buddy is missing from this installation; the message names the
    resource and how to get it back (see :mod:`core.resources`)."""


class StorageError(BuddyError):
    """The conversation log cannot be reached."""
