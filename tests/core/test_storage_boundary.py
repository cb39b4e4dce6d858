"""The storage layer is the only home of database access (issue 14).

Before, queries lived in three places (the repository, the review package, the log
writer) and ``/admin`` wrote its own rows. This test reads every module of the
application packages (``bot/``, ``core/``, ``cli/``, ``training/``) and fails when one
outside ``core/storage/`` builds or runs SQL: importing SQLAlchemy's query constructs
(``select``, ``insert``, ``update``, ``delete``, ``text``, ``func``, the ORM, a dialect),
importing the table models, or calling ``execute``/``scalar``/``scalars`` and kin.

Allowed outside: ``sqlalchemy.ext.asyncio`` (a session or session factory passed along),
``sqlalchemy.exc`` (telling a fault from a refused row) and ``sqlalchemy.engine``
(``make_url`` reads a database URL). ``migrations/`` (Alembic) and ``tests/`` (which
look at the real file to check what a user would see) are not application code.

The checker itself is tested first on examples that must and must not be flagged.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "core", "cli", "training")
STORAGE = ROOT / "core" / "storage"
ALLOWED_SQLALCHEMY = ("sqlalchemy.ext.asyncio", "sqlalchemy.exc", "sqlalchemy.engine")
SQL_CALLS = frozenset({
    "execute", "exec_driver_sql", "scalar", "scalars", "scalar_one", "stream",
    "stream_scalars", "run_sync",
})
FIX = ("move it into a function in core/storage/ that takes an AsyncSession (the caller owns "
       "the transaction) and call that; see docs/ARCHITECTURE.md, 'Storage'")


def _allowed_sqlalchemy(module: str) -> bool:
    return any(module == ok or module.startswith(ok + ".") for ok in ALLOWED_SQLALCHEMY)


def violations(source: str) -> list[str]:
    """What in ``source`` builds or runs SQL (each with its line), empty when nothing does."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy" and not _allowed_sqlalchemy(
                        alias.name):
                    found.append(f"line {node.lineno}: import {alias.name}")
                if alias.name == "core.storage.models":
                    found.append(f"line {node.lineno}: import core.storage.models")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mod = node.module
            names = ", ".join(a.name for a in node.names)
            if mod.split(".")[0] == "sqlalchemy" and not _allowed_sqlalchemy(mod):
                found.append(f"line {node.lineno}: from {mod} import {names}")
            elif mod == "core.storage.models" or (
                    mod == "core.storage" and any(a.name == "models" for a in node.names)):
                found.append(f"line {node.lineno}: the table models ({mod} import {names})")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in SQL_CALLS):
            found.append(f"line {node.lineno}: .{node.func.attr}(...) runs SQL")
    return found


def application_modules() -> list[Path]:
    return sorted(
        path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
        if STORAGE not in path.parents
    )


# --- the checker on examples ------------------------------------------------------------
@pytest.mark.parametrize("source", [
    "from sqlalchemy import select",
    "from sqlalchemy import delete, func",
    "from sqlalchemy import text",
    "import sqlalchemy",
    "import sqlalchemy as sa",
    "from sqlalchemy.orm import Session",
    "from sqlalchemy.dialects.sqlite import insert",
    "from core.storage.models import Message",
    "from core.storage import models",
    "async def f(s):\n    await s.execute(stmt)",
    "async def f(s):\n    return await s.scalar(stmt)",
    "async def f(s):\n    return list(await s.scalars(stmt))",
    "def f(conn):\n    conn.exec_driver_sql('DELETE FROM messages')",
])
def test_the_checker_flags_sql_outside_storage(source: str) -> None:
    assert violations(source), source


@pytest.mark.parametrize("source", [
    "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker",
    "from sqlalchemy.exc import IntegrityError",
    "from sqlalchemy.engine import make_url",
    "from core.storage import review_reads as q",
    "from core.storage.users import delete_user",
    "async def f(sessions):\n    async with sessions() as s, s.begin():\n"
    "        return await q.list_conversations(s, flt)",
    "from .models import thing",  # a relative import is never the storage models
])
def test_the_checker_leaves_storage_calls_alone(source: str) -> None:
    assert violations(source) == [], source


# --- the rule on the code ----------------------------------------------------------------
def test_no_module_outside_core_storage_builds_or_runs_sql() -> None:
    modules = application_modules()
    assert len(modules) > 50, "the application packages were not found"
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in modules
        if (found := violations(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, f"database access outside core/storage: {offenders}; {FIX}"
