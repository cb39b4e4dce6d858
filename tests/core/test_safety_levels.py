"""Risk levels as a person meets them: the reply each level gets, who is alerted, and the
order operators review crisis messages in."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.answers import AnswerBook
from core.classify.base import FixedClassifier
from core.messages import IncomingMessage, ReplyKind
from core.pipeline import Buddy
from core.review.filters import LogFilter
from core.safety import RiskLevel, assess
from core.safety.hotlines import EMERGENCY, HOTLINES, SUICIDE_PREVENTION
from core.safety.replies import crisis_reply, distress_line, urgent_reply
from core.storage import review_reads as q
from core.storage.writer import LogWriter

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = {"일반대화": ["그랬군요. 조금 더 이야기해 줄래요?"]}

LEVEL_EXAMPLES = [
    ("점심 뭐 먹을까", RiskLevel.NONE),
    ("뷔페 가고 싶어", RiskLevel.NONE),
    ("요즘 너무 힘들어", RiskLevel.DISTRESS),
    ("마음이 너무 괴로워요", RiskLevel.DISTRESS),
    ("자고 일어나면 그냥 안 깼으면 좋겠다", RiskLevel.PASSIVE),
    ("사라지고 싶다", RiskLevel.PASSIVE),
    ("죽고 싶어", RiskLevel.IDEATION),
    ("자살 생각이 계속 나", RiskLevel.IDEATION),
    ("손목 긋고 싶다", RiskLevel.METHOD),
    ("어제 또 그었어", RiskLevel.METHOD),
    ("유서 썼어", RiskLevel.PLAN),
    ("수면제 모아놨어", RiskLevel.PLAN),
    ("죽기로 결심했어", RiskLevel.PLAN),
    ("지금 옥상 난간이야", RiskLevel.IMMINENT),
    ("방금 약 한 통 다 먹었어", RiskLevel.IMMINENT),
    ("칼 들고 있어 지금", RiskLevel.IMMINENT),
]



class RecordingAlerts:
    """Stands in for OperatorAlerts: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, tuple[str, ...], str | None]] = []

    async def send(self, user_ref: str, platform: str, signals: tuple[str, ...],
                   risk_level: str | None = None) -> None:
        self.sent.append((user_ref, platform, signals, risk_level))

    async def aclose(self) -> None:
        return None


def make_buddy(writer: LogWriter | None = None, alerts: RecordingAlerts | None = None) -> Buddy:
    return Buddy(
        classifier=FixedClassifier({}, default="일반대화", default_confidence=0.9),
        answers=AnswerBook(ANSWERS, seed=1),
        pseudonym_secret=b"test-secret",
        writer=writer,
        alerts=alerts,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("text", "level"), LEVEL_EXAMPLES)
def test_each_message_gets_its_level(text: str, level: RiskLevel) -> None:
    verdict = assess(text)
    assert verdict.level is level
    assert verdict.crisis == (level >= RiskLevel.PASSIVE)
    assert verdict.risk_level == level.label


def test_levels_are_ordered_and_described() -> None:
    assert sorted(RiskLevel) == list(RiskLevel)
    assert RiskLevel.NONE < RiskLevel.DISTRESS < RiskLevel.PASSIVE < RiskLevel.IDEATION
    assert RiskLevel.IDEATION < RiskLevel.METHOD < RiskLevel.PLAN < RiskLevel.IMMINENT
    assert all(level.ko and level.en for level in RiskLevel)
    assert RiskLevel.parse("plan") is RiskLevel.PLAN
    assert RiskLevel.parse("crisis") is RiskLevel.IDEATION  # the old yes/no verdict, safely
    with pytest.raises(ValueError, match="imminent"):
        RiskLevel.parse("severe")


async def test_distress_keeps_the_warm_answer_with_109_in_view() -> None:
    reply = await make_buddy().handle(IncomingMessage("telegram", "1", "요즘 너무 힘들어"))
    assert reply.kind is ReplyKind.ANSWER and not reply.crisis
    assert reply.text.startswith(ANSWERS["일반대화"][0])
    assert reply.text.endswith(distress_line()) and SUICIDE_PREVENTION.number in reply.text
    assert crisis_reply() not in reply.text and reply.risk_level == "distress"


async def test_no_extra_line_without_distress() -> None:
    reply = await make_buddy().handle(IncomingMessage("telegram", "1", "점심 뭐 먹을까"))
    assert reply.text == ANSWERS["일반대화"][0] and reply.risk_level == "none"


@pytest.mark.parametrize(
    ("text", "level"), [(t, lv) for t, lv in LEVEL_EXAMPLES if RiskLevel.PASSIVE <= lv < RiskLevel.IMMINENT]
)
async def test_passive_to_plan_get_the_crisis_reply(text: str, level: RiskLevel) -> None:
    reply = await make_buddy().handle(IncomingMessage("telegram", "1", text))
    assert reply.crisis and reply.kind is ReplyKind.CRISIS
    assert reply.text == crisis_reply() and reply.risk_level == level.label


@pytest.mark.parametrize("text", [t for t, lv in LEVEL_EXAMPLES if lv is RiskLevel.IMMINENT])
async def test_imminent_leads_with_119_and_112(text: str) -> None:
    reply = await make_buddy().handle(IncomingMessage("telegram", "1", text))
    assert reply.crisis and reply.text == urgent_reply() and reply.risk_level == "imminent"
    first_line = reply.text.splitlines()[0]
    assert "119" in first_line and "112" in first_line and EMERGENCY.number in first_line
    for hotline in HOTLINES:  # every other line is still there
        assert hotline.number in reply.text


async def test_operators_are_alerted_from_ideation_up_not_for_a_passive_wish() -> None:
    alerts = RecordingAlerts()
    # (the pipeline alerts where it logs the turn: a writer that drops the turn will do)
    buddy = make_buddy(writer=_NullWriter(), alerts=alerts)  # type: ignore[arg-type]
    await buddy.handle(IncomingMessage("telegram", "1", "사라지고 싶다"))
    await buddy.handle(IncomingMessage("telegram", "2", "죽고 싶어"))
    await buddy.handle(IncomingMessage("telegram", "3", "지금 옥상 난간이야"))
    await asyncio.sleep(0)
    assert [s[3] for s in alerts.sent] == ["ideation", "imminent"]


class _NullWriter:
    def submit(self, turn: object) -> None:
        return None


async def test_the_turn_logs_its_level_and_the_crisis_queue_puts_the_highest_first(
    writer: LogWriter,
) -> None:
    buddy = make_buddy(writer)
    for user, text in (("1", "사라지고 싶다"), ("2", "지금 옥상 난간이야"), ("3", "죽고 싶어"),
                       ("4", "요즘 너무 힘들어"), ("5", "수면제 모아놨어")):
        await buddy.handle(IncomingMessage("telegram", user, text))
    assert await writer.flush(timeout=10)
    async with writer.sessions() as s:
        queue = await q.crisis_queue(s)
        rows = await q.export_rows(s, LogFilter())
    assert [m.risk_level for m in queue] == ["imminent", "plan", "ideation", "passive"]
    assert {r["text"]: r["risk_level"] for r in rows if r["role"] == "user"}["요즘 너무 힘들어"] == "distress"


@pytest.mark.slow
def test_buddy_ask_json_returns_the_risk_level(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "ask", "--json", "지금 옥상 난간이야", "점심 뭐 먹을까"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**_env(), "BUDDY_VAR_DIR": str(tmp_path / "var")},
    )
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [(r["risk_level"], r["crisis"]) for r in lines] == [("imminent", True), ("none", False)]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env
