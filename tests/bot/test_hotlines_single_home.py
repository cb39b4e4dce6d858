"""The crisis numbers are written in one place only: ``core/safety/hotlines.py``.

Every reply, page and notice renders them from there, so a changed number is changed once
and no platform can be left showing an old one. This test reads the source tree the way a
reviewer would grep it. Tests, docs and data may quote numbers (they check what people see).
"""

from __future__ import annotations

import re
from pathlib import Path

from core.safety.hotlines import EMERGENCY, HOTLINES

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "core", "cli", "training", "scripts", "migrations")
SUFFIXES = {".py", ".js", ".html", ".css"}
HOME = "core/safety/hotlines.py"
# Not hotline texts, or not yet moved, each with its reason:
EXEMPT = {
    # recognises a hotline number inside what a *user* wrote ("109에 전화했는데"): a pattern
    "core/safety/rules/plan.py",
    # docstrings that explain levels by naming the emergency numbers; no text shown to users
    "core/safety/levels.py", "core/safety/rules/distress.py", "core/dialogue/respond.py",
    # TODO(issue 14, core part): crisis and about-Buddy wording still types the numbers;
    # owned by the core redesign (arch-core), listed here so that no *new* file may
    "core/safety/replies.py", "core/dialogue/meta.py",
}


def _numbers() -> list[str]:
    numbers = [h.number for h in HOTLINES if h is not EMERGENCY]
    return numbers + EMERGENCY.number.split(" 또는 ")


def test_hotline_numbers_live_only_in_hotlines_py() -> None:
    numbers = _numbers()
    assert len(numbers) >= 4
    pattern = re.compile(r"(?<![0-9A-Za-z_-])(" + "|".join(re.escape(n) for n in numbers)
                         + "|" + "|".join(re.escape(n.replace("-", "")) for n in numbers)
                         + r")(?![0-9A-Za-z_-])")
    offenders = []
    for folder in SOURCES:
        for path in sorted((REPO / folder).rglob("*")):
            relative = path.relative_to(REPO).as_posix()
            if path.suffix not in SUFFIXES or relative in EXEMPT or relative == HOME:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{relative}:{n}: {line.strip()}")
    assert not offenders, ("hotline numbers typed outside core/safety/hotlines.py; render "
                           "them from there (see bot/texts.py):\n" + "\n".join(offenders))


def test_the_pages_and_adapter_texts_render_every_number() -> None:
    from bot import texts
    from bot.web.page import render_page

    page = render_page()
    for number in _numbers():
        assert f"tel:{number.replace('-', '')}" in page
    assert all(n in texts.NOT_ACCEPTING for n in EMERGENCY.number.split(" 또는 "))
    assert HOTLINES[0].number in texts.SEND_FAILED
