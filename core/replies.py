"""Fixed Korean replies that are not category answers. Kept apart from logged internals.

Crisis wording lives in ``core/safety/replies.py`` with the hotline numbers.
"""

from __future__ import annotations

import random

from core.safety.hotlines import EMERGENCY, SUICIDE_PREVENTION

GREETINGS = (
    "안녕하세요, 저는 버디예요. 오늘 마음은 어떠세요? 편하게 이야기해 주세요.",
    "반가워요! 버디예요. 요즘 어떻게 지내고 계신지 들려주실래요?",
    "안녕하세요. 여기서는 어떤 이야기든 괜찮아요. 오늘 하루는 어땠어요?",
)

WELCOME = "안녕하세요, 버디예요. 여기서는 어떤 마음이든 편하게 꺼내 놓아도 괜찮아요."

FAREWELLS = (
    "이야기 나눠 주셔서 고마워요. 필요할 때 언제든 다시 찾아와 주세요. 오늘도 수고 많으셨어요.",
    "함께해서 좋았어요. 힘든 일이 생기면 언제든 다시 말 걸어 주세요. 편안한 시간 보내세요.",
)

FALLBACKS = (
    "제가 잘 이해했는지 모르겠어요. 그 일이 당신에게 어떤 마음이 들게 했는지 조금 더 들려주실래요?",
    "그랬군요. 지금 어떤 기분인지 조금만 더 자세히 이야기해 줄 수 있을까요?",
    "듣고 있어요. 그 이야기를 조금 더 해 주시면 제가 더 잘 이해할 수 있을 것 같아요.",
    "쉽지 않은 이야기를 꺼내 주셨네요. 요즘 가장 마음에 걸리는 게 무엇인지 말해 줄래요?",
)

EMPTY = "메시지가 비어 있는 것 같아요. 지금 떠오르는 마음을 한두 마디라도 글로 적어 주시면 함께 이야기해 볼게요."
EMOJI_ONLY = "이모지로 마음을 보내 주셨네요. 지금 기분을 말로 조금 더 표현해 주시면 제가 더 잘 이해할 수 있어요."
NOT_KOREAN = (
    "저는 한국어로 이야기할 때 가장 잘 이해할 수 있어요. 괜찮다면 한국어로 이야기해 주시겠어요? "
    f"(Buddy understands Korean best. In Korea, call {SUICIDE_PREVENTION.number} any time, "
    f"or {EMERGENCY.number.replace(' 또는 ', ' / ')} in an emergency.)"
)
UNSUPPORTED = {
    "sticker": "스티커 고마워요! 저는 글자만 읽을 수 있어요. 지금 마음을 글로 들려주시겠어요?",
    "photo": "사진은 제가 볼 수 없어요. 대신 어떤 일이 있었는지 글로 이야기해 주시겠어요?",
    "voice": "음성 메시지는 아직 들을 수 없어요. 글로 적어 주시면 귀 기울여 읽을게요.",
}
UNSUPPORTED_DEFAULT = "저는 아직 글자로 된 메시지만 읽을 수 있어요. 하고 싶은 이야기를 글로 적어 주시겠어요?"
TOO_FAST = "메시지가 너무 빨리 오고 있어요. 잠시 숨을 고르고 천천히 이야기해 주세요. 저는 계속 여기 있어요."
INTERNAL_ERROR = (
    "죄송해요, 잠깐 문제가 생겼어요. 조금 뒤에 다시 말을 걸어 주세요. "
    f"급하게 도움이 필요하면 {SUICIDE_PREVENTION.name} {SUICIDE_PREVENTION.number}, "
    f"위급하면 {EMERGENCY.number}로 연락해 주세요."
)
RESET = "새로운 대화를 시작할게요. 지금 마음은 어떠세요?"
FORGOTTEN = "요청하신 대로 지금까지의 대화 기록을 모두 지웠어요. 언제든 다시 이야기하러 와 주세요."

ABOUT = (
    "저는 버디예요. 마음이 힘들 때 이야기를 들어 주는 상담 챗봇이에요.\n"
    "저는 전문 상담사나 의사가 아니고, 진단이나 치료를 할 수 없어요. "
    "위급한 상황에서는 바로 아래 번호로 연락해 주세요."
)
PRIVACY = (
    "대화 내용은 서비스 개선과 상담 품질 검토를 위해 저장될 수 있어요. "
    "이름이나 계정 번호 대신 되돌릴 수 없는 가명 코드로만 기록되고, "
    "정해진 보관 기간이 지나면 자동으로 삭제돼요. "
    "/forget 으로 언제든 내 기록을 모두 지울 수 있어요."
)


def pick(options: tuple[str, ...], rng: random.Random | None = None) -> str:
    return (rng or random).choice(options)
