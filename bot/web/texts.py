"""What the HTTP API says to people when a request cannot be answered.

Each message is Korean first, then English for API clients and operators, and always
says what to do next. Kept apart from log lines, which never repeat a user's text.
"""

from __future__ import annotations

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
    "버디가 잠시 점검 중이에요. 조금 뒤에 다시 말을 걸어 주세요. "
    "급하게 도움이 필요하면 자살예방상담전화 109 또는 119로 연락해 주세요. "
    "(Buddy is restarting; try again in a minute. In Korea call 109, or 119 in an emergency.)"
)
INTERNAL = (
    "죄송해요, 잠깐 문제가 생겼어요. 조금 뒤에 다시 말을 걸어 주세요. "
    "급하게 도움이 필요하면 자살예방상담전화 109 또는 119로 연락해 주세요. "
    "(Something went wrong on our side; try again shortly.)"
)
FORGET_FAILED = (
    "지금은 기록 저장소에 닿지 않아 기록을 지우지 못했어요. 아무것도 지워지지 않았으니 "
    "조금 뒤에 다시 시도해 주세요. 급하게 도움이 필요하면 자살예방상담전화 109로 연락해 주세요. "
    "(The conversation log cannot be reached, so nothing was deleted yet: try again shortly.)"
)
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
