"""Operators with their own tokens: the dashboard knows who is signed in, audits them by
name, and one operator's logout leaves the others signed in (real server, real SQLite)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from test_admin_security import TOKEN, dashboard, log_in, works

from bot.web.admin import COOKIE

KIM = "kim-token-5c1d9e2f7a3b8c4d6e0f"
LEE = "lee-token-8a7b6c5d4e3f2a1b0c9d"
OPERATORS = f"kim:{KIM},lee:{LEE}"


def actors(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {a for (a,) in conn.execute("SELECT DISTINCT actor FROM audit_events")}


async def test_each_operator_signs_in_with_their_own_token_and_is_audited_by_name(
    tmp_path: Path,
) -> None:
    db = tmp_path / "log.db"
    async with dashboard(db, TOKEN, operators=OPERATORS) as http:
        cookies = {}
        for name, token in (("kim", KIM), ("lee", LEE), ("admin", TOKEN)):
            r = await log_in(http, token)
            assert r.status_code == 303, name
            cookies[name] = r.cookies[COOKIE]
            assert token not in cookies[name]
            assert await works(http, cookies[name])
        assert actors(db) >= {"kim", "lee", "admin"}

        # a cookie of kim's relabelled as lee's fails its signature
        forged = cookies["kim"].rsplit(".", 1)[0] + ".lee"
        assert not await works(http, forged)

        # kim logs out: kim's session ends, lee's and admin's go on
        page = await http.get("/admin/conversations", headers={"cookie": f"{COOKIE}={cookies['kim']}"})
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        r = await http.post("/admin/logout", data={"csrf": csrf},
                            headers={"cookie": f"{COOKIE}={cookies['kim']}"})
        assert r.status_code == 303
        assert not await works(http, cookies["kim"])
        assert await works(http, cookies["lee"]) and await works(http, cookies["admin"])
    with sqlite3.connect(db) as conn:
        logouts = list(conn.execute("SELECT actor FROM audit_events WHERE action = 'logout'"))
    assert logouts == [("kim",)]


async def test_operators_alone_turn_the_dashboard_on(tmp_path: Path) -> None:
    async with dashboard(tmp_path / "log.db", "", operators=OPERATORS) as http:
        assert (await log_in(http, LEE)).status_code == 303
        assert (await log_in(http, "not-anyones-token-at-all-000")).status_code == 401
