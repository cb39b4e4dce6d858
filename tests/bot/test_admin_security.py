"""The /admin login against real parts: a real SQLite file, the real web app under uvicorn
configured exactly as ``buddy serve`` configures it, real HTTP on 127.0.0.1.

Each test restarts the server where the promise is about restarts, and sends the headers
an attacker would (a rotating ``X-Forwarded-For`` from loopback).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from web_helpers import make_buddy

from bot.web.admin import COOKIE, create_admin_router
from bot.web.admin_auth import LOGIN_FAILURES_ALLOWED
from bot.web.app import create_app
from bot.web.http_server import server_config
from core.config import load_settings
from core.storage.db import open_engine, session_factory, upgrade_schema

REPO = Path(__file__).resolve().parents[2]
TOKEN = "admin-test-token-7f3c9a1e5b-long"
OTHER_TOKEN = "another-admin-token-0d9e8c7b6a5"
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy",
                    "x-frame-options", "cache-control")


@asynccontextmanager
async def dashboard(db: Path | str, token: str, **settings: str
                    ) -> AsyncIterator[httpx.AsyncClient]:
    """One 'run' of Buddy's web app with the dashboard: started, used, stopped. ``db`` is a
    SQLite file or a database URL."""
    url = db if isinstance(db, str) else f"sqlite+aiosqlite:///{db}"
    await asyncio.to_thread(upgrade_schema, url)
    config = load_settings(_env_file=None, admin_token=token, **settings)
    engine = open_engine(url)
    app = create_app(make_buddy(None), config, extra_routers=[
        create_admin_router(session_factory(engine), config, ["감정/불안"])])
    server = uvicorn.Server(server_config(app, config, host="127.0.0.1", port=0, lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            yield http
    finally:
        server.should_exit = True
        await task
        await engine.dispose()


async def log_in(http: httpx.AsyncClient, token: str, **headers: str) -> httpx.Response:
    r = await http.post("/admin/login", data={"token": token}, headers=headers)
    http.cookies.clear()  # cookies are sent explicitly below
    return r


async def works(http: httpx.AsyncClient, cookie: str) -> bool:
    r = await http.get("/admin/conversations", headers={"cookie": f"{COOKIE}={cookie}"})
    assert r.status_code in (200, 303), r.status_code
    return r.status_code == 200


async def test_logout_and_token_change_outlive_a_restart(db_url: str) -> None:
    db = db_url  # a SQLite file, and PostgreSQL where DATABASE_URL_POSTGRES_TEST is set
    async with dashboard(db, TOKEN) as http:
        first = (await log_in(http, TOKEN)).cookies[COOKIE]
        second = (await log_in(http, TOKEN)).cookies[COOKIE]
        assert await works(http, first) and await works(http, second)
    async with dashboard(db, TOKEN) as http:  # a restart alone keeps operators logged in
        assert await works(http, first)
        page = await http.get("/admin/conversations", headers={"cookie": f"{COOKIE}={first}"})
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        r = await http.post("/admin/logout", data={"csrf": csrf},
                            headers={"cookie": f"{COOKIE}={first}"})
        assert r.status_code == 303
        assert not await works(http, first) and not await works(http, second)
    async with dashboard(db, TOKEN) as http:  # ...and a logout is not undone by a restart
        assert not await works(http, first) and not await works(http, second)
        third = (await log_in(http, TOKEN)).cookies[COOKIE]
        assert await works(http, third)
    async with dashboard(db, OTHER_TOKEN) as http:  # a new token: old cookies are void
        assert not await works(http, third)
    async with dashboard(db, TOKEN) as http:  # ...also after going back to the old token
        assert not await works(http, third)
        assert await works(http, (await log_in(http, TOKEN)).cookies[COOKIE])


async def test_lockout_is_per_client_and_never_refuses_the_right_token(tmp_path: Path) -> None:
    db = tmp_path / "buddy.db"
    async with dashboard(db, TOKEN) as http:  # no TRUSTED_PROXIES: X-Forwarded-For is ignored
        for n in range(LOGIN_FAILURES_ALLOWED):
            r = await log_in(http, "wrong", **{"x-forwarded-for": f"203.0.113.{n}"})
            assert r.status_code == 401
        r = await log_in(http, "wrong", **{"x-forwarded-for": "203.0.113.200"})
        assert r.status_code == 429  # rotating the header bought nothing
        r = await log_in(http, TOKEN)
        assert r.status_code == 303 and COOKIE in r.cookies  # the operator still gets in
        assert (await log_in(http, "wrong")).status_code == 401  # and the count starts again

    async with dashboard(db, TOKEN, trusted_proxies="127.0.0.1") as http:  # behind a proxy
        attacker = {"x-forwarded-for": "198.51.100.7"}
        for _ in range(LOGIN_FAILURES_ALLOWED):
            assert (await log_in(http, "wrong", **attacker)).status_code == 401
        assert (await log_in(http, "wrong", **attacker)).status_code == 429
        operator = {"x-forwarded-for": "192.0.2.10"}
        assert (await log_in(http, "wrong", **operator)).status_code == 401  # not locked out
        assert (await log_in(http, TOKEN, **attacker)).status_code == 303


async def test_security_headers_are_sent_once(tmp_path: Path) -> None:
    async with dashboard(tmp_path / "buddy.db", TOKEN) as http:
        for path in ("/admin/login", "/admin/conversations", "/"):
            r = await http.get(path)
            for name in SECURITY_HEADERS[:4]:
                assert len(r.headers.get_list(name)) == 1, (path, name)
        login = await http.get("/admin/login")
        assert "form-action 'self'" in login.headers["content-security-policy"]
        assert login.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("token", ["x", "short-token-23-chars-xx"])
def test_a_short_admin_token_is_refused_at_start(tmp_path: Path, token: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUDDY_", "WEB_"))}
    env.update(ADMIN_TOKEN=token, BUDDY_VAR_DIR=str(tmp_path / "var"), WEB_PORT="0",
               PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-m", "cli.main", "serve"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    said = done.stdout + done.stderr
    assert "ADMIN_TOKEN" in said and "at least 24" in said
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in said
    assert "Traceback" not in said and (len(token) < 2 or token not in said)  # not echoed


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    """The SQLAlchemy models and the Alembic schema describe the same tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from core.storage.models import Base

    db = tmp_path / "schema.db"
    upgrade_schema(f"sqlite+aiosqlite:///{db}")
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
