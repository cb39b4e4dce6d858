"""Korean texts only the Telegram adapter shows: command menu, /help, /forget confirmation.

Replies shared by every platform (about, privacy, reset, errors) live in
:mod:`core.replies`, and the crisis numbers in :mod:`core.safety.hotlines`; this module
only composes them, so a number or a wording is changed in one place.
"""

from __future__ import annotations

from core import replies
from core.safety.hotlines import hotline_block
from core.stopping import STOPPING

# (command, menu description) in menu order; registered with setMyCommands.
COMMAND_MENU: tuple[tuple[str, str], ...] = (
    ("start", "버디 소개, 도움받을 수 있는 곳, 기록 보관 안내"),
    ("help", "사용 방법과 명령어"),
    ("reset", "새 대화 시작하기"),
    ("forget", "내 대화 기록 모두 지우기"),
    ("privacy", "대화 기록은 어떻게 보관되나요"),
)

HELP = (
    "편하게 지금 마음을 글로 적어 주세요. 제가 읽고 답할게요.\n\n"
    "/start 버디 소개와 도움받을 수 있는 곳\n"
    "/reset 새 대화 시작하기\n"
    "/forget 내 대화 기록 모두 지우기\n"
    "/privacy 기록 보관 안내\n"
    "/help 이 안내 다시 보기\n\n"
    "그룹 대화방에서는 저를 @로 부르거나 제 메시지에 답장해 주시면 대답해요."
)


def start_text() -> str:
    """/start: who Buddy is and is not, where to get help now, how data is kept."""
    return (
        f"{replies.ABOUT}\n{hotline_block()}\n\n{replies.PRIVACY}\n\n"
        "지금 마음이 어떤지 편하게 이야기해 주세요. 명령어는 /help 에서 볼 수 있어요."
    )


FORGET_CONFIRM = (
    "지금까지 버디와 나눈 대화 기록을 모두 지울까요? 지운 기록은 되돌릴 수 없어요."
)
FORGET_YES = "네, 모두 지워 주세요"
FORGET_NO = "아니요, 그대로 둘게요"
FORGET_CANCELLED = "알겠어요. 기록은 그대로 두었어요."
FORGET_NOT_YOURS = "이 버튼은 삭제를 요청한 분만 누를 수 있어요."
FORGET_FAILED = (
    "죄송해요, 기록을 지우는 중에 문제가 생겼어요. 잠시 뒤 /forget 으로 다시 시도해 주세요."
)
UNKNOWN_COMMAND = "모르는 명령어예요. /help 에서 쓸 수 있는 명령어를 볼 수 있어요."
SHUTTING_DOWN = STOPPING  # the refusal during shutdown (a crisis gets the crisis reply instead)
