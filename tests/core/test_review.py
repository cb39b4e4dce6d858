"""Log review queries on a real database: what operators see, filter, correct and purge."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from review_fixtures import INJECTION, seed_log
from sqlalchemy import func, select

from core.review import charts
from core.review.filters import LogFilter, parse_when
from core.review.views import EXPORT_FIELDS, Stats
from core.storage import review_reads as q
from core.storage.db import open_engine, session_factory
from core.storage.models import AuditEvent, Feedback, Message
from core.storage.retention import daily_purge_loop, purge_expired
from core.storage.review_writes import mark_reviewed, relabel


@pytest.fixture
async def log(db_url: str):  # noqa: ANN201
    seeded = await seed_log(db_url)
    engine = open_engine(db_url)
    yield session_factory(engine), seeded
    await engine.dispose()


async def _audit(sessions, action: str) -> list[AuditEvent]:  # noqa: ANN001
    async with sessions() as s:
        return list(await s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


async def test_conversation_list_shows_aggregates_newest_first(log) -> None:  # noqa: ANN001
    sessions, seeded = log
    async with sessions() as s:
        rows, total = await q.list_conversations(s, LogFilter())
    assert total == 5
    assert [r.id for r in rows] == [seeded.conversations[n]
                                    for n in ("crisis", "vague", "exam", "sleep", "old")]
    by_id = {r.id: r for r in rows}
    exam = by_id[seeded.conversations["exam"]]
    assert exam.messages == 4 and exam.lowest_confidence == pytest.approx(0.12)
    assert exam.preview == "시험 때문에 너무 불안해요"
    assert exam.user_ref == seeded.users["web"] and len(exam.user_ref) == 12
    crisis = by_id[seeded.conversations["crisis"]]
    assert crisis.crisis and crisis.unreviewed_crisis == 1
    assert not by_id[seeded.conversations["sleep"]].crisis


async def test_filters_narrow_the_list(log) -> None:  # noqa: ANN001
    sessions, seeded = log
    c = seeded.conversations

    async def ids(flt: LogFilter) -> set[str]:
        async with sessions() as s:
            rows, total = await q.list_conversations(s, flt)
        assert total == len(rows)
        return {r.id for r in rows}

    assert await ids(LogFilter(platform="web")) == {c["exam"], c["vague"]}
    assert await ids(LogFilter(crisis=True)) == {c["crisis"]}
    assert await ids(LogFilter(low_confidence=0.3)) == {c["exam"], c["vague"]}
    assert await ids(LogFilter(category="증상/불면")) == {c["sleep"]}
    assert await ids(LogFilter(text="불안")) == {c["exam"]}
    assert await ids(LogFilter(text="100%")) == set()  # LIKE wildcards are literal
    now = datetime.now(timezone.utc)
    assert await ids(LogFilter(since=now - timedelta(days=2))) == {c["crisis"], c["vague"], c["exam"]}
    assert await ids(LogFilter(until=now - timedelta(days=2))) == {c["sleep"], c["old"]}
    assert await ids(LogFilter(platform="web", low_confidence=0.15)) == {c["exam"]}


async def test_transcript_keeps_order_categories_and_raw_text(log) -> None:  # noqa: ANN001
    sessions, seeded = log
    async with sessions() as s:
        conv = await q.resolve_conversation(s, seeded.conversations["exam"][:8])
        tr = await q.transcript(s, conv)  # type: ignore[arg-type]
    assert tr is not None
    assert [m.role for m in tr.messages] == ["user", "bot", "user", "bot"]
    assert tr.messages[2].text == INJECTION  # stored as written; views escape it
    assert tr.messages[2].category == "감정/불안"
    assert tr.messages[2].confidence == pytest.approx(0.12)
    assert tr.messages[0].can_relabel and not tr.messages[1].can_relabel


async def test_crisis_queue_unreviewed_first_and_review_is_audited(log) -> None:  # noqa: ANN001
    sessions, seeded = log
    mid = seeded.user_messages["crisis"]
    async with sessions() as s:
        queue = await q.crisis_queue(s)
    assert [m.id for m in queue] == [mid] and queue[0].reviewed_at is None
    assert queue[0].signals == ("emergency:test",)
    async with sessions() as s, s.begin():
        assert await mark_reviewed(s, mid, "admin") is True
    async with sessions() as s, s.begin():
        assert await mark_reviewed(s, mid, "admin") is False  # not audited twice
    async with sessions() as s:
        assert await q.count_unreviewed_crisis(s) == 0
        queue = await q.crisis_queue(s)
    assert queue[0].reviewed_at is not None
    events = await _audit(sessions, "review")
    assert [(e.actor, e.target) for e in events] == [("admin", mid)]


async def test_relabel_feeds_corrections_that_train_loads(log, tmp_path: Path) -> None:  # noqa: ANN001
    sessions, seeded = log
    vague = seeded.user_messages["vague"]
    labels = {"감정/외로움", "감정/불안", "감정/우울감"}
    async with sessions() as s, s.begin():
        await relabel(s, vague, "감정/불안", "admin", allowed=labels)
        view = await relabel(s, vague, "감정/우울감", "admin", allowed=labels)  # latest wins
    assert view.corrected_category == "감정/우울감" and view.category == "감정/외로움"
    async with sessions() as s, s.begin():
        with pytest.raises(ValueError, match="label list"):
            await relabel(s, vague, "없는/카테고리", "admin", allowed=labels)
        bot_id = await s.scalar(select(Message.id).where(Message.role == "bot").limit(1))
        with pytest.raises(ValueError, match="users' text"):
            await relabel(s, bot_id, "감정/불안", "admin", allowed=labels)
        with pytest.raises(LookupError):
            await relabel(s, "no-such-message", "감정/불안", "admin", allowed=labels)
    async with sessions() as s:
        rows = await q.corrections_rows(s, LogFilter())
        assert await s.scalar(select(func.count()).select_from(Feedback)) == 2
        low = await q.low_confidence_queue(s, 0.3)
    assert [(r["text"], r["category"]) for r in rows] == [("그냥 뭐랄까 애매한 기분이에요", "감정/우울감")]
    # the corrected message moves behind the uncorrected one in the low-confidence queue
    assert [m.id for m in low] == [seeded.user_messages["exam1"], vague]
    events = await _audit(sessions, "relabel")
    assert len(events) == 2 and json.loads(events[-1].detail) == {"from": "감정/외로움", "to": "감정/우울감"}

    path = tmp_path / "corrections.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    from core.dataset.formats import load_dataset

    ds = load_dataset(path)
    assert [(e.text, e.category) for e in ds.examples] == [("그냥 뭐랄까 애매한 기분이에요", "감정/우울감")]


async def test_stats_counts_days_categories_and_confidence(log) -> None:  # noqa: ANN001
    sessions, _ = log
    async with sessions() as s:
        st = await q.stats(s, LogFilter(), threshold=0.3)
    assert (st.conversations, st.users, st.messages, st.user_messages) == (5, 3, 14, 7)
    assert st.crisis == 1 and st.unreviewed_crisis == 1 and st.low_confidence == 2
    assert dict(st.categories) == {"증상/불면": 2, "감정/불안": 2, "감정/우울감": 1,
                                   "감정/외로움": 1, "일상/인사": 1}
    assert sum(st.histogram) == 7 and st.histogram[1] == 2  # 0.12 and 0.18
    assert sum(n for _, n in st.per_day) == 7
    assert len(st.per_day) >= 200  # empty days are present, so the chart has no gaps
    async with sessions() as s:
        web = await q.stats(s, LogFilter(platform="web"))
    assert web.user_messages == 3 and web.users == 1


async def test_export_rows_have_refs_not_keys(log) -> None:  # noqa: ANN001
    sessions, seeded = log
    async with sessions() as s:
        rows = await q.export_rows(s, LogFilter(platform="telegram"))
    assert len(rows) == 6 and set(rows[0]) == set(EXPORT_FIELDS)
    dumped = json.dumps(rows, ensure_ascii=False)
    assert seeded.keys["telegram"] not in dumped  # the full HMAC key stays inside
    assert seeded.users["telegram"] in dumped


async def test_purge_respects_retention_and_is_audited(log) -> None:  # noqa: ANN001
    sessions, seeded = log
    dry = await purge_expired(sessions, 90, dry_run=True)
    assert (dry.conversations, dry.messages) == (1, 2)
    async with sessions() as s:
        assert (await q.list_conversations(s, LogFilter()))[1] == 5  # nothing gone yet
    done = await purge_expired(sessions, 90, actor="cli:test")
    assert (done.conversations, done.messages) == (1, 2)
    async with sessions() as s:
        rows, total = await q.list_conversations(s, LogFilter())
    assert total == 4 and seeded.conversations["old"] not in {r.id for r in rows}
    assert [e.actor for e in await _audit(sessions, "purge")] == ["cli:test"]
    with pytest.raises(ValueError):
        await purge_expired(sessions, 0)


async def test_daily_purge_loop_purges_at_start_and_keeps_going(log) -> None:  # noqa: ANN001
    sessions, _ = log
    await asyncio.wait_for(daily_purge_loop(sessions, 0), 5)  # 0 = keep all: returns at once
    task = asyncio.create_task(daily_purge_loop(sessions, 90, interval_s=3600))
    for _ in range(200):
        if await _audit(sessions, "purge"):
            break
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(await _audit(sessions, "purge")) == 1
    async with sessions() as s:
        assert (await q.list_conversations(s, LogFilter()))[1] == 4


def test_parse_when_accepts_operator_forms() -> None:
    now = datetime(2026, 5, 10, 12, 0, tzinfo=timezone.utc)
    assert parse_when("2026-05-01", now=now) == datetime(2026, 5, 1, tzinfo=timezone.utc)
    assert parse_when("2026-05-01", end=True, now=now) == datetime(2026, 5, 2, tzinfo=timezone.utc)
    assert parse_when("7d", now=now) == datetime(2026, 5, 3, 12, 0, tzinfo=timezone.utc)
    assert parse_when("2026-05-01T09:30", now=now) == datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="7d"):
        parse_when("last tuesday", now=now)


def test_charts_render_png_with_korean_font() -> None:
    st = Stats(user_messages=3, categories=[("감정/불안", 2), ("증상/불면", 1)],
                 histogram=[1, 0, 0, 0, 0, 0, 0, 0, 2, 0],
                 per_day=[(datetime(2026, 5, 1).date(), 2), (datetime(2026, 5, 2).date(), 1)])
    for name in charts.CHART_NAMES:
        assert charts.render(name, st, threshold=0.3).startswith(b"\x89PNG")
    assert charts.render("categories", Stats()).startswith(b"\x89PNG")  # empty log
    if shutil.which("fc-list") and Path("/usr/share/fonts/truetype/nanum").exists():
        assert charts.korean_font() is not None
