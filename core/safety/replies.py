"""The Korean texts a person in crisis reads. Wording reviewed for tone; numbers from hotlines.

Principles: thank them for saying it, no judgement and no arguing, say plainly that help is
there now (the 24-hour numbers), nudge towards one trusted person, and keep the door open.
Follow-ups check in gently instead of going back to light category answers.
"""

from __future__ import annotations

from core.safety.hotlines import SUICIDE_PREVENTION, hotline_block

_CRISIS = (
    "말해 줘서 정말 고마워요. 그런 마음이 들 만큼 지금 많이 힘들고 지쳐 있는 것 같아요. "
    "당신 잘못이 아니고, 이 무게를 혼자 견디지 않아도 돼요.\n\n"
    "지금 바로 이야기를 들어 줄 사람들이 있어요. 24시간 언제든 연결돼요.\n"
    "{hotlines}\n\n"
    "가까이 있는 믿을 수 있는 사람 한 명에게 지금 연락해서 곁에 있어 달라고 말해 보면 "
    "좋겠어요. 저도 여기 있을게요. 괜찮다면 지금 어떤 마음인지 조금 더 들려줄래요?"
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


def crisis_reply() -> str:
    """The reply sent whenever a crisis is detected; it overrides any category answer."""
    return _CRISIS.format(hotlines=hotline_block())


def safety_followup_reply(turn: int) -> str:
    """The gentle reply for the ``turn``-th message (1-based) after a crisis reply."""
    index = min(max(turn, 1), len(_FOLLOWUPS)) - 1
    return _FOLLOWUPS[index].format(
        hotlines=hotline_block(),
        sp_name=SUICIDE_PREVENTION.name,
        sp_number=SUICIDE_PREVENTION.number,
    )
