"""The write-ahead journal: a turn is on disk before its reply is sent.

Each turn is one JSON line, appended and fsync'd before :meth:`Journal.append` returns.
Appends that arrive while an fsync is running wait for the next one together (group
commit), so one fsync serves every turn that came in meanwhile: under load the cost per
turn falls as the load rises. Lines carry the message ids fixed at accept time, so
replaying a line whose rows already landed writes nothing twice.

The file only ever holds turns that may not be in the database yet: the log writer
empties it when everything is written, and rewrites it without the written turns when it
grows. A forget rewrites it without the forgotten user's lines. It is created 0600.
A row the database refuses for good is set aside in ``<journal>.set-aside.jsonl`` with the
reason, for an operator to look at; it is never replayed on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

from core.storage.records import TurnRecord

log = logging.getLogger(__name__)

FILE_MODE = 0o600


def _fsync_dir(folder: Path) -> None:
    """Make a created or renamed file's directory entry durable too."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sync(fd: int) -> None:
    (getattr(os, "fdatasync", None) or os.fsync)(fd)


class Journal:
    """An append-only, fsync'd file of turns with group commit (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.set_aside_path = path.with_name(path.name.removesuffix(".jsonl") + ".set-aside.jsonl")
        self._fd: int | None = None
        self._size = 0
        self._queue: list[tuple[bytes, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one write, fsync, rewrite or truncate at a time
        self.fsyncs = 0
        self.appended = 0
        self.rewritten_size = 0  # the size the last rewrite left

    # --- reading (at start-up) ------------------------------------------------------
    def read(self) -> list[TurnRecord]:
        """Every whole turn in the file; a damaged line (torn by a crash) is skipped."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        self._size = len(data)
        turns = []
        for n, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                turns.append(TurnRecord.from_json(line.decode("utf-8")))
            except (ValueError, KeyError, TypeError):
                log.error("journal %s line %d is damaged (cut by a crash?); skipped", self.path, n)
        return turns

    # --- appending ------------------------------------------------------------------
    async def append(self, turn: TurnRecord) -> None:
        """Return once ``turn`` is written and fsync'd; raises OSError when it cannot be."""
        line = turn.to_json().encode("utf-8") + b"\n"
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # a caller that stopped waiting (timeout) must not leave an unretrieved exception
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._queue.append((line, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_queue(), name="buddy-journal")
        await asyncio.shield(future)

    async def _flush_queue(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            data = b"".join(line for line, _ in batch)
            try:
                async with self._lock:
                    await asyncio.to_thread(self._write, data)
            except Exception as exc:  # noqa: BLE001 - every waiter must hear of it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.fsyncs += 1
            self.appended += len(batch)
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            created = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
            self._size = os.fstat(self._fd).st_size
            if created:
                _fsync_dir(self.path.parent)
        return self._fd

    def _write(self, data: bytes) -> None:
        """Write all of ``data`` and fsync; on failure cut the file back to whole lines."""
        fd = self._open()
        before = self._size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            _sync(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, before)  # no half line for the next append to join
            self._close()
            raise
        self._size = before + len(data)

    def _close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    @property
    def size(self) -> int:
        return self._size

    # --- shrinking ------------------------------------------------------------------
    async def rewrite(self, keep: Callable[[], Iterable[TurnRecord]], *,
                      remove_empty: bool = False) -> None:
        """Replace the file by the turns ``keep()`` returns (those not yet in the database),
        atomically. ``keep`` is called once no append is running: a turn queued meanwhile
        is appended after the rewrite. An empty result truncates (or removes) the file."""
        async with self._lock:
            lines = [t.to_json().encode("utf-8") + b"\n" for t in keep()]
            await asyncio.to_thread(self._replace, b"".join(lines), remove_empty)
            self.rewritten_size = self._size

    def _replace(self, data: bytes, remove_empty: bool = False) -> None:
        if not data:
            if remove_empty:
                self._close()
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path)
                    _fsync_dir(self.path.parent)
            elif self._size or self.path.exists():
                fd = self._open()
                os.ftruncate(fd, 0)
                _sync(fd)
            self._size = 0
            return
        self._close()
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            _sync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)
        self._size = len(data)

    async def purge_user(self, user_key: str) -> int:
        """Remove every line of ``user_key`` from the journal and the set-aside file."""
        async with self._lock:
            return await asyncio.to_thread(self._purge_user, user_key)

    def _purge_user(self, user_key: str) -> int:
        removed = 0
        for path, key_of in ((self.path, _line_user), (self.set_aside_path, _aside_user)):
            if not path.exists():
                continue
            lines = path.read_bytes().splitlines(keepends=True)
            kept = [line for line in lines if key_of(line) != user_key]
            if len(kept) == len(lines):
                continue
            removed += len(lines) - len(kept)
            if path == self.path:
                self._replace(b"".join(kept))
            else:
                _atomic_write(path, b"".join(kept))
        return removed

    # --- rows the database refuses ---------------------------------------------------
    def set_aside(self, turn: TurnRecord, reason: str) -> None:
        """Keep a turn the database refused for good, with why (ASCII JSON: always encodable)."""
        entry = {"set_aside_at": datetime.now(timezone.utc).isoformat(), "reason": reason,
                 "turn": json.loads(turn.to_json(ascii_only=True))}
        data = (json.dumps(entry, ensure_ascii=True) + "\n").encode("ascii")
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.set_aside_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        try:
            os.write(fd, data)
            _sync(fd)
        finally:
            os.close(fd)

    def set_aside_count(self) -> int:
        if not self.set_aside_path.exists():
            return 0
        return sum(1 for line in self.set_aside_path.read_bytes().splitlines() if line.strip())

    def close(self) -> None:
        self._close()


def _line_user(line: bytes) -> str | None:
    try:
        return json.loads(line).get("user_key")
    except ValueError:
        return None


def _aside_user(line: bytes) -> str | None:
    try:
        return json.loads(line).get("turn", {}).get("user_key")
    except ValueError:
        return None


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.write(fd, data)
        _sync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)
