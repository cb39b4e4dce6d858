"""Every Korean text the adapters show people, in one place, numbers from ``hotlines.py``.

Replies shared with the core (about, privacy, reset, errors) live in :mod:`core.replies`
and the crisis lines in :mod:`core.safety.hotlines`. This module composes them for the
platforms: Telegram's command menu and /forget buttons, Discord's /help, the web API's
error messages, the web page's notices. No phone number is written here: each is
rendered from :mod:`core.safety.hotlines`, so a changed number changes everywhere, and
``tests/bot/test_hotlines_single_home.py`` keeps it that way.
"""

from __future__ import annotations

from core import replies
from core.safety.hotlines import EMERGENCY, SUICIDE_PREVENTION, hotline_block
from core.stopping import STOPPING

# --- hotline phrases (rendered, never typed) ------------------------------------------------
_EMERGENCY_NUMBERS = tuple(EMERGENCY.number.split(" 또는 "))
#: "급하게 도움이 필요하면 <suicide prevention line>, 위급하면 <emergency numbers>로 연락해 주세요."
URGENT_HELP = (f"급하게 도움이 필요하면 {SUICIDE_PREVENTION.name} {SUICIDE_PREVENTION.number}, "
               f"위급하면 {EMERGENCY.number}로 연락해 주세요.")
URGENT_HELP_EN = (f"In Korea call {SUICIDE_PREVENTION.number} (suicide prevention), or "
                  f"{' / '.join(_EMERGENCY_NUMBERS)} in an emergency.")


def emergency_numbers() -> tuple[str, ...]:
    """The emergency numbers one by one, for call buttons and links."""
    return _EMERGENCY_NUMBERS


# --- shared by every platform ---------------------------------------------------------------
SHUTTING_DOWN = STOPPING  # the refusal during shutdown (a crisis gets the crisis reply instead)
SEND_FAILED = f"답장을 보내는 중에 문제가 생겼어요. 잠시 뒤에 다시 말을 걸어 주세요. {URGENT_HELP}"
FORGET_CONFIRM = "지금까지 버디와 나눈 대화 기록을 모두 지울까요? 지운 기록은 되돌릴 수 없어요."

# --- Telegram -------------------------------------------------------------------------------
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
    """Telegram's /start: who Buddy is and is not, where to get help now, how data is kept."""
    return (
        f"{replies.ABOUT}\n{hotline_block()}\n\n{replies.PRIVACY}\n\n"
        "지금 마음이 어떤지 편하게 이야기해 주세요. 명령어는 /help 에서 볼 수 있어요."
    )


FORGET_YES = "네, 모두 지워 주세요"
FORGET_NO = "아니요, 그대로 둘게요"
FORGET_CANCELLED = "알겠어요. 기록은 그대로 두었어요."
FORGET_NOT_YOURS = "이 버튼은 삭제를 요청한 분만 누를 수 있어요."
FORGET_FAILED = (
    "죄송해요, 기록을 지우는 중에 문제가 생겼어요. 잠시 뒤 /forget 으로 다시 시도해 주세요."
)
UNKNOWN_COMMAND = "모르는 명령어예요. /help 에서 쓸 수 있는 명령어를 볼 수 있어요."

# --- Discord --------------------------------------------------------------------------------
DISCORD_HELP = (
    f"{replies.ABOUT}\n{hotline_block()}\n\n"
    "**버디와 이야기하는 방법**\n"
    "• 버디에게 DM(개인 메시지)을 보내거나, 서버에서 @버디 를 불러 주세요.\n"
    "• `/buddy` 버디에게 이야기하기 (서버에서는 나에게만 보여요)\n"
    "• `/forget` 지금까지의 내 대화 기록 모두 지우기\n"
    "• `/help` 이 안내 다시 보기\n\n"
    f"{replies.PRIVACY}"
)
DISCORD_FORGET_CONFIRM = "지금까지 버디와 나눈 대화 기록을 모두 지울까요? 지우면 되돌릴 수 없어요."
DISCORD_FORGET_CANCELLED = "기록을 지우지 않았어요. 그대로 둘게요."
DISCORD_FORGET_TIMEOUT = "시간이 지나 취소됐어요. 지우고 싶으면 /forget 을 다시 써 주세요."
DISCORD_FORGET_FAILED = "기록을 지우는 중에 문제가 생겼어요. 잠시 뒤에 /forget 을 다시 써 주세요."
DISCORD_NOT_YOUR_BUTTON = "이 버튼은 /forget 을 쓴 사람만 누를 수 있어요."
DISCORD_BUTTON_DELETE = "모두 지우기"
DISCORD_BUTTON_CANCEL = "취소"

# --- the web API (Korean first, then English for API clients and operators) ---------------
API_DESCRIPTION = ("A Korean counseling chatbot. Not a substitute for professional help: "
                   + URGENT_HELP_EN)
BAD_JSON = (
    "요청 본문이 올바른 JSON이 아니에요. "
    '{"session": "...", "text": "..."} 형식으로 다시 보내 주세요. '
    '(The request body is not valid JSON: send {"session": "...", "text": "..."}.)'
)
BAD_ENCODING = (
    "요청 본문이 UTF-8로 인코딩되어 있지 않아요. UTF-8 JSON으로 다시 보내 주세요. "
    "(The request body is not valid UTF-8: send UTF-8 encoded JSON.)"
)
BAD_REQUEST = (
    "요청을 읽을 수 없어요. 형식을 확인하고 다시 보내 주세요. "
    "(The request could not be read; check its format and send it again.)"
)
INVALID_FIELDS = (
    "요청 내용을 확인해 주세요: {problems}. "
    "(Check the request fields: {problems_en}.)"
)
BODY_TOO_LARGE = (
    "메시지가 너무 길어요. 요청 본문은 {limit_kib} KiB까지 보낼 수 있어요. "
    "나누어서 보내 주세요. (Request body over {limit_kib} KiB: split the message.)"
)
BODY_TIMEOUT = (
    "요청 본문이 너무 느리게 도착해서 끊었어요. 다시 보내 주세요. "
    "(The request body did not arrive in time; send it again in one go.)"
)
NOT_ACCEPTING = (
    f"버디가 잠시 점검 중이에요. 조금 뒤에 다시 말을 걸어 주세요. {URGENT_HELP} "
    f"(Buddy is restarting; try again in a minute. {URGENT_HELP_EN})"
)
INTERNAL = (
    f"죄송해요, 잠깐 문제가 생겼어요. 조금 뒤에 다시 말을 걸어 주세요. {URGENT_HELP} "
    "(Something went wrong on our side; try again shortly.)"
)
WEB_FORGET_FAILED = (
    "지금은 기록 저장소에 닿지 않아 기록을 지우지 못했어요. 아무것도 지워지지 않았으니 "
    f"조금 뒤에 다시 시도해 주세요. {URGENT_HELP} "
    "(The conversation log cannot be reached, so nothing was deleted yet: try again shortly.)"
)
SESSION_UNKNOWN = "이 대화창이 더 이상 열려 있지 않아요. (This chat session is not open.)"
NOT_FOUND = "요청한 주소를 찾을 수 없어요. (Not found: see /openapi.json for the API.)"
METHOD_NOT_ALLOWED = "이 주소에서는 지원하지 않는 요청 방식이에요. (Method not allowed.)"

# Field problems, as (Korean, English), keyed by pydantic's error type.
FIELD_PROBLEMS: dict[str, tuple[str, str]] = {
    "missing": ("{field} 값이 없어요", "{field} is missing"),
    "string_too_long": (
        "{field}는 {limit:,}자까지 보낼 수 있어요",
        "{field} may be at most {limit:,} characters",
    ),
    "string_too_short": ("{field} 값이 비어 있어요", "{field} must not be empty"),
    "string_type": ("{field}는 문자열이어야 해요", "{field} must be a string"),
    "string_pattern_mismatch": (
        "{field}에는 공백 없는 영문·숫자·기호만 쓸 수 있어요",
        "{field} may only hold printable ASCII without spaces",
    ),
    "model_attributes_type": (
        "본문은 JSON 객체여야 해요 (Content-Type: application/json)",
        "the body must be a JSON object sent as application/json",
    ),
    "dict_type": ("본문은 JSON 객체여야 해요", "the body must be a JSON object"),
    "extra_forbidden": ("{field}는 알 수 없는 항목이에요", "{field} is not a known field"),
}
FIELD_PROBLEM_DEFAULT = ("{field} 값이 올바르지 않아요", "{field} is invalid")

# --- the web page (rendered into index.html; chat.js reads them from there) ----------------
PAGE_NOTICE = "버디는 전문 상담사나 의사가 아니에요. 위급할 때는 바로 연락해 주세요:"
PAGE_NETWORK = f"연결이 잠시 끊겼어요. 인터넷 연결을 확인하고 다시 보내 주세요. {URGENT_HELP}"
PAGE_FAILED = f"답장을 받지 못했어요. 잠시 뒤에 다시 보내 주세요. {URGENT_HELP}"
PAGE_FROM_PERSON = "상담 선생님"  # the label over a message a person sent through send_text
