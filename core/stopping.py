"""What a message gets while Buddy is shutting down: never silence, never a lost crisis.

Every adapter (web, Telegram, Discord) refuses new messages once shutdown begins, because
the model and the log are closing. A refusal is still an answer to a person, though, and
the person may be in crisis: so the refusal runs the same crisis check as the core
(rules and morphology, no classifier), and a crisis gets the full crisis reply with the
hotlines; anything else gets a short "back in a minute" text that still carries the
suicide prevention line (numbers from :mod:`core.safety.hotlines`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.limits import MAX_TEXT_CHARS
from core.safety.emergency import safe_assess
from core.safety.hotlines import EMERGENCY, SUICIDE_PREVENTION
from core.safety.levels import RiskLevel
from core.safety.replies import crisis_reply, urgent_reply
from core.text import normalize

log = logging.getLogger(__name__)

# The adapters accept at most this many characters; the crisis check reads all of them.
REFUSAL_CHECK_CHARS = MAX_TEXT_CHARS

STOPPING = (
    "버디가 잠시 점검 중이에요. 조금 뒤에 다시 말을 걸어 주세요. "
    f"급하게 도움이 필요하면 {SUICIDE_PREVENTION.name} {SUICIDE_PREVENTION.number}(24시간), "
    f"위급하면 {EMERGENCY.number}로 연락해 주세요."
)
STOPPING_EN = (f"(Buddy is restarting; try again in a minute. In Korea call "
               f"{SUICIDE_PREVENTION.number}, or {EMERGENCY.number.replace(' 또는 ', ' / ')} "
               "in an emergency.)")


@dataclass(frozen=True)
class Refusal:
    """The text to send instead of an answer, and whether it is the crisis reply."""

    text: str
    crisis: bool
    risk_level: str = "none"  # the level's label, as the web API returns it


def refusal(text: str | None, *, english: bool = False) -> Refusal:
    """The reply to a message refused during shutdown; runs the crisis check on ``text``.

    Never raises: if the safety module itself fails, the core's emergency stems decide,
    as they do for an answered message.
    """
    full = normalize(text or "", REFUSAL_CHECK_CHARS)
    verdict = safe_assess(full) if full else None
    if verdict is not None and verdict.crisis:
        log.warning("crisis message arrived during shutdown; crisis reply sent (signals: %s)",
                    ", ".join(verdict.signals))
        urgent = verdict.level >= RiskLevel.IMMINENT
        return Refusal(urgent_reply() if urgent else crisis_reply(), True, verdict.level.label)
    return Refusal(f"{STOPPING} {STOPPING_EN}" if english else STOPPING, False)
