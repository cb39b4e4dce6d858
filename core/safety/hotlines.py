"""The crisis lines Buddy gives, kept in this one place.

Every reply, follow-up and test reads the numbers from here, so a changed number is
changed once. All lines listed are free, nationwide and open 24 hours (checked 2024).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hotline:
    """One line a person in crisis can call (or text) right now."""

    name: str
    number: str
    note: str = ""

    def line(self) -> str:
        """``이름 번호 (메모)`` as shown in replies."""
        return f"{self.name} {self.number}" + (f" ({self.note})" if self.note else "")


SUICIDE_PREVENTION = Hotline("자살예방상담전화", "109", "24시간, 문자 상담도 가능")
MENTAL_HEALTH_CRISIS = Hotline("정신건강위기상담", "1577-0199", "24시간")
YOUTH = Hotline("청소년상담", "1388", "24시간, 문자·카카오톡 상담도 가능")
EMERGENCY = Hotline("지금 위험하다면", "119 또는 112", "구급·경찰")

HOTLINES: tuple[Hotline, ...] = (SUICIDE_PREVENTION, MENTAL_HEALTH_CRISIS, YOUTH, EMERGENCY)


def hotline_block(prefix: str = "• ") -> str:
    """The numbers as a bulleted block, one line each."""
    return "\n".join(prefix + h.line() for h in HOTLINES)
