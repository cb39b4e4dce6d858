"""The Korean texts a person in crisis reads. Wording reviewed for tone; numbers from hotlines.

Principles: thank them for saying it, no judgement and no arguing, say plainly that help is
there now (the 24-hour numbers), nudge towards one trusted person, and keep the door open.
Follow-ups check in gently instead of going back to light category answers.
"""

from __future__ import annotations

from core.safety.hotlines import (
    EMERGENCY,
    HOTLINES,
    MENTAL_HEALTH_CRISIS,
    SUICIDE_PREVENTION,
    YOUTH,
    hotline_block,
)
from core.safety.levels import RiskLevel

_CRISIS = (
    "말해 줘서 정말 고마워요. 그런 마음이 들 만큼 지금 많이 힘들고 지쳐 있는 것 같아요. "
    "당신 잘못이 아니고, 이 무게를 혼자 견디지 않아도 돼요.\n\n"
    "지금 바로 이야기를 들어 줄 사람들이 있어요. 24시간 언제든 연결돼요.\n"
    "{hotlines}\n\n"
    "가까이 있는 믿을 수 있는 사람 한 명에게 지금 연락해서 곁에 있어 달라고 말해 보면 "
    "좋겠어요. 저도 여기 있을게요. 괜찮다면 지금 어떤 마음인지 조금 더 들려줄래요?"
)

# Imminent danger: the emergency numbers come first, before any other word.
_URGENT = (
    "지금 바로 {em_number}에 전화해 주세요. ({em_note}, 24시간)\n"
    "위험한 물건이나 장소에서 조금이라도 떨어져 주세요. 지금 혼자라면 가까운 사람에게도 바로 연락해 주세요.\n\n"
    "말해 줘서 정말 고마워요. 당신이 살아 있기를 바라요. 전화가 어렵다면 문자로도 도움을 받을 수 있어요.\n"
    "{hotlines}\n\n"
    "저도 여기 있을게요. 지금 어디에 있는지, 안전한지 알려 줄래요?"
)

# The same person in crisis again within one conversation: shorter, personal, never the same
# text twice, the numbers always there (one compact line) — the full card was already sent.
_NUMBERS_LINE = (
    "{sp_name} {sp_number} · {mh_name} {mh_number} · {youth_name} {youth_number} "
    "(24시간) · 지금 위험하면 {em_number}"
)
_CRISIS_AGAIN = (
    "다시 말해 줘서 고마워요. 그 마음이 아직 많이 무겁군요. 지금 이 순간 혼자 버티지 말고 "
    "전화 한 통만 걸어 줄래요?\n{numbers}",
    "그 마음이 또 찾아왔군요. 저는 계속 당신 편이에요. 지금 바로 이야기 들어 줄 사람이 "
    "있어요. 문자로도 괜찮아요.\n{numbers}",
    "많이 지쳤다는 게 느껴져요. 당신이 살아 있었으면 좋겠어요. 가까운 사람 한 명에게 "
    "'지금 좀 힘들어'라고만 보내 봐도 돼요.\n{numbers}",
    "여기까지 말해 준 용기를 알아요. 이 무게는 혼자 들 게 아니에요. 지금 연락할 수 있는 "
    "곳이 있어요.\n{numbers}",
    "계속 이야기해 줘서 고마워요. 지금 어디에 있는지, 곁에 누가 있는지 궁금해요. "
    "전화가 어렵다면 109에 문자로 먼저 말을 걸어도 돼요.\n{numbers}",
)
_URGENT_AGAIN = (
    "지금 바로 {em_number}에 전화해 주세요. 당신이 안전했으면 좋겠어요.\n"
    "위험한 물건에서 손을 떼고, 곁에 있는 사람을 불러 주세요.\n{numbers}",
    "지금 {em_number}에 먼저 전화해 주세요. 전화가 어렵다면 옆 사람에게 대신 걸어 달라고 "
    "해 주세요.\n저는 여기 있을게요.\n{numbers}",
    "{em_number}, 지금 바로요. 그 자리에서 조금만 떨어져서 전화해 주세요.\n"
    "당신을 잃고 싶지 않아요.\n{numbers}",
    "지금 바로 {em_number}에 연락해 주세요. 문 열고 나가서 사람 있는 곳으로 가도 좋아요.\n"
    "다시 말해 줘서 고마워요. 끝까지 같이 있을게요.\n{numbers}",
    "{em_number}에 지금 전화해 주세요. 말이 안 나오면 전화만 걸어 두어도 괜찮아요.\n"
    "당신의 안전이 가장 먼저예요.\n{numbers}",
)

# Distress without a wish to die: one gentle line under the usual warm answer.
_DISTRESS_LINE = (
    "혼자 견디기 버거울 땐 {sp_name} {sp_number}나 {youth_name} {youth_number}에 "
    "전화나 문자로 이야기해도 괜찮아요. 24시간 열려 있어요."
)

# One entry per follow-up turn; the last one repeats if safety mode lasts longer.
_FOLLOWUPS = (
    "다시 이야기해 줘서 고마워요. 지금은 좀 어때요? 안전한 곳에 있는지 궁금해요.\n"
    "마음이 다시 위태로워지면 언제든 {sp_name} {sp_number}에 전화하거나 문자로 "
    "이야기할 수 있어요.",
    "천천히 말해도 괜찮아요. 지금 곁에 있거나 연락할 수 있는 사람이 있을까요? "
    "짧은 메시지 하나라도 보내 보면 혼자가 아니라는 게 조금은 느껴질 거예요.",
    "여기까지 버텨 온 것만으로도 정말 애쓰고 있는 거예요. 혼자 감당하기 어려울 땐 "
    "전문 상담사와 바로 이야기해 보세요. 24시간 열려 있어요.\n{hotlines}",
    "저는 계속 여기 있을게요. 오늘 하루 중 아주 조금이라도 숨 돌릴 수 있었던 순간이 "
    "있었는지 들려줄래요? 힘들면 {sp_name} {sp_number}도 기억해 주세요.",
)


# More gentle turns for a conversation that stays in safety mode longer (or enters it again):
# the dialogue logic never repeats a text while another one fits.
_MORE_FOLLOWUPS = (
    "지금 이 대화를 이어 가 줘서 고마워요. 오늘 밤은 누구와 함께 있을 수 있을까요? "
    "힘들면 {sp_name} {sp_number}에 전화나 문자로 바로 이야기할 수 있어요.",
    "짧게 답해도 괜찮아요. 저는 서두르지 않을게요. 몸은 좀 어때요, 물 한 잔이라도 "
    "마셨어요? 위태롭다고 느껴지면 {sp_name} {sp_number}, 위급하면 119예요.",
    "당신이 오늘 여기 와서 이야기해 준 게 정말 다행이에요. 내일 아침에 할 아주 작은 일 "
    "하나를 같이 정해 볼까요? 언제든 {sp_name} {sp_number}도 열려 있어요.",
)


def crisis_reply() -> str:
    """The reply sent whenever a crisis is detected; it overrides any category answer."""
    return _CRISIS.format(hotlines=hotline_block())


def urgent_reply() -> str:
    """The reply for imminent danger (an act under way, means at hand, "now"): it leads
    with the emergency numbers 119 / 112, then the crisis lines."""
    others = tuple(h for h in HOTLINES if h is not EMERGENCY)
    return _URGENT.format(
        em_number=EMERGENCY.number,
        em_note=EMERGENCY.note,
        hotlines="\n".join("• " + h.line() for h in others),
    )


def numbers_line() -> str:
    """Every crisis line in one compact line, for the shorter repeated crisis replies."""
    return _NUMBERS_LINE.format(
        sp_name=SUICIDE_PREVENTION.name, sp_number=SUICIDE_PREVENTION.number,
        mh_name=MENTAL_HEALTH_CRISIS.name, mh_number=MENTAL_HEALTH_CRISIS.number,
        youth_name=YOUTH.name, youth_number=YOUTH.number, em_number=EMERGENCY.number,
    )


def repeated_crisis_replies(level: RiskLevel) -> tuple[str, ...]:
    """The shorter replies for a second, third… crisis message in one conversation, in the
    order they are used: imminent ones lead with 119 / 112, all carry every number."""
    numbers = numbers_line()
    if level >= RiskLevel.IMMINENT:
        return tuple(t.format(em_number=EMERGENCY.number, numbers=numbers) for t in _URGENT_AGAIN)
    return tuple(t.format(numbers=numbers) for t in _CRISIS_AGAIN)


def safety_followups() -> tuple[str, ...]:
    """Every follow-up text in turn order (see :func:`safety_followup_reply`), then a few
    more for long or repeated safety modes."""
    more = tuple(t.format(sp_name=SUICIDE_PREVENTION.name, sp_number=SUICIDE_PREVENTION.number)
                 for t in _MORE_FOLLOWUPS)
    return tuple(safety_followup_reply(i + 1) for i in range(len(_FOLLOWUPS))) + more


def safety_farewell() -> str:
    """A goodbye while safety mode lasts: warm, and the numbers stay in view."""
    return (f"이야기해 줘서 정말 고마워요. 오늘 여기까지 와 준 당신이 소중해요. "
            f"다시 힘들어지면 언제든 돌아와 주세요. 혼자 견디기 어려울 땐 "
            f"{SUICIDE_PREVENTION.name} {SUICIDE_PREVENTION.number}, "
            f"{MENTAL_HEALTH_CRISIS.name} {MENTAL_HEALTH_CRISIS.number}, 위급하면 "
            f"{EMERGENCY.number}예요.")


def distress_line() -> str:
    """The one gentle line with the numbers in view added to a warm answer for distress."""
    return _DISTRESS_LINE.format(
        sp_name=SUICIDE_PREVENTION.name,
        sp_number=SUICIDE_PREVENTION.number,
        youth_name=YOUTH.name,
        youth_number=YOUTH.number,
    )


def with_distress_line(answer: str) -> str:
    """``answer`` (a category answer, a fallback) followed by :func:`distress_line`."""
    return f"{answer.rstrip()}\n\n{distress_line()}"


def reply_for_level(level: RiskLevel) -> str | None:
    """The safety reply that replaces any other answer at ``level``, or None below the
    crisis levels (distress keeps the usual answer, see :func:`with_distress_line`)."""
    if level >= RiskLevel.IMMINENT:
        return urgent_reply()
    if level.crisis:
        return crisis_reply()
    return None


def safety_followup_reply(turn: int) -> str:
    """The gentle reply for the ``turn``-th message (1-based) after a crisis reply."""
    index = min(max(turn, 1), len(_FOLLOWUPS)) - 1
    return _FOLLOWUPS[index].format(
        hotlines=hotline_block(),
        sp_name=SUICIDE_PREVENTION.name,
        sp_number=SUICIDE_PREVENTION.number,
    )
