"""Questions about Buddy itself, answered honestly (pure, no I/O).

Why: "너 사람이야?", "내 말 이해해?", "기록 남아?" are questions about trust. The classifier
reads them as small talk; a cheerful small-talk answer to "너는 내 말 이해하는 거 맞아?" breaks
that trust. The honest answers say what Buddy is (a program, not a counsellor), that it can
be wrong, what is stored and how to delete it (``/forget``). Each kind has several wordings so
a second question in one conversation gets a different one.
"""

from __future__ import annotations

import re
from enum import Enum


class MetaKind(str, Enum):
    """What about Buddy is asked."""

    IDENTITY = "identity"  # 사람이야? AI야?
    UNDERSTANDING = "understanding"  # 내 말 이해해?
    RECORDS = "records"  # 기록 남아? 누가 봐?
    COUNSELLOR = "counsellor"  # 상담사야? 진짜 상담이야?


_YOU = r"(?:너|넌|니가|네가|너는|당신|버디|버디는|버디야|얘|이거|여기|이 ?챗봇)"
_PATTERNS: tuple[tuple[MetaKind, re.Pattern[str]], ...] = (
    (MetaKind.RECORDS, re.compile(
        r"(?:기록|저장|로그|내역|대화 ?내용|내 ?(?:말|얘기|이야기)).{0,8}(?:남아|남니|남나|남겨|남는|저장|보관|"
        r"지워|삭제|누가 ?(?:봐|보|읽)|봐\?|보는|읽어|읽는|공유|유출)"
        r"|(?:누가|운영자|사람이).{0,6}(?:내 ?(?:말|얘기|대화)|이거).{0,6}(?:봐|보|읽)"
        r"|(?:이거|이 ?대화|여기|내 ?(?:말|얘기|대화)).{0,6}누가 ?(?:봐|보|읽)"
        r"|(?:비밀|개인 ?정보).{0,6}(?:지켜|보장|안전)")),
    (MetaKind.UNDERSTANDING, re.compile(
        rf"{_YOU}.{{0,8}}(?:내 ?(?:말|얘기|이야기|마음)).{{0,6}}(?:이해|알아|알긴|아는 ?거|공감)"
        r"|^(?:내 ?(?:말|얘기|이야기|마음)).{0,6}(?:이해|알아듣|알아 ?들|알아|공감)"
        rf"|{_YOU}.{{0,6}}(?:이해는? ?(?:해|하|하는|한 ?거)|알아듣|진짜 ?(?:공감|알아))")),
    (MetaKind.COUNSELLOR, re.compile(
        rf"{_YOU}.{{0,6}}(?:상담사|상담 ?선생|전문가|의사|선생님)(?:야|이야|예요|에요|인가|니|냐|맞)"
        r"|(?:진짜|진짜로|전문) ?상담.{0,4}(?:맞아|맞니|이야|인가|해 ?주는)")),
    (MetaKind.IDENTITY, re.compile(
        rf"{_YOU}.{{0,6}}(?:사람|인간|로봇|기계|ai|에이아이|인공 ?지능|프로그램|봇|챗봇|gpt|진짜 ?사람)"
        r"(?:이야|야|이에요|예요|인가|이니|니|냐|임|맞|이지|지|인 ?거| ?아니)"
        r"|(?:사람|로봇|ai|인공지능)(?:이랑|하고|과|와) ?(?:얘기|대화|이야기).{0,6}(?:하는 ?거|중)"
        r"|(?:진짜 ?)?(?:사람|인간)이 ?(?:답|대답|쓰는|쓴|보내|치는).{0,8}(?:거야|거예요|거에요|거니|건가|\?)",
        re.IGNORECASE)),
)

ANSWERS: dict[MetaKind, tuple[str, ...]] = {
    MetaKind.IDENTITY: (
        "솔직하게 말할게요. 저는 사람이 아니라 프로그램이에요. 들려준 말을 미리 써 둔 주제와 "
        "맞춰 보고 답하는 챗봇이라, 상담사처럼 깊이 이해하지는 못해요. 그래도 이야기를 "
        "듣는 자리가 되어 드리고 싶어요.",
        "저는 버디라는 이름의 프로그램이에요. 사람처럼 느껴졌다면 다행이지만, 제 답은 "
        "정해진 방식으로 고른 글이라 틀릴 수도 있어요. 정말 힘들 때는 사람과 직접 "
        "이야기하는 게 가장 좋아요. 자살예방상담전화 109는 24시간 열려 있어요.",
    ),
    MetaKind.UNDERSTANDING: (
        "정직하게 말하면, 저는 사람처럼 이해하지는 못해요. 들려준 말을 주제별로 짐작해서 "
        "답하는 프로그램이라 틀리게 알아들을 때도 있어요. 제 답이 엇나가면 '그게 아니라'라고 "
        "말해 주세요. 다시 들어 볼게요.",
        "제가 다 알아듣는다고 하면 거짓말일 거예요. 저는 말 속의 주제를 짐작하는 프로그램이라 "
        "놓치는 게 많아요. 그래도 지금 하는 이야기에 계속 귀 기울이고 있어요. 제가 잘못 "
        "이해한 부분이 있으면 알려 줄래요?",
    ),
    MetaKind.RECORDS: (
        "대화는 상담 품질 검토와 개선을 위해 기록돼요. 이름이나 계정 대신 되돌릴 수 없는 "
        "가명 코드로 저장되고, 보관 기간이 지나면 지워져요. 대화를 이어 가려고 지금 이야기의 "
        "주제와 제가 마지막에 한 질문도 저장해요. /forget 을 보내면 내 기록이 모두 지워져요.",
        "네, 대화 내용은 가명 코드와 함께 저장되고 운영자가 품질을 확인할 때 볼 수 있어요. "
        "원하지 않으면 언제든 /forget 으로 모든 기록을 지울 수 있어요. 지운 뒤에는 되살릴 수 없어요.",
    ),
    MetaKind.COUNSELLOR: (
        "저는 상담사나 의사가 아니에요. 진단이나 치료는 할 수 없고, 이야기를 들어 주는 "
        "프로그램이에요. 전문 상담이 필요하면 정신건강위기상담 1577-0199나 자살예방상담전화 "
        "109에 24시간 연락할 수 있어요.",
        "아니요, 저는 전문 상담사가 아니라 프로그램이에요. 틀릴 수도 있어서 중요한 결정은 "
        "사람과 꼭 함께 해 주세요. 가까운 정신건강복지센터나 1577-0199에서 전문가와 이야기할 수 있어요.",
    ),
}


def read_meta(text: str) -> MetaKind | None:
    """What about Buddy ``text`` asks, or None when it asks nothing about Buddy."""
    squashed = text.strip().lower()
    if len(squashed) > 60:
        return None
    for kind, pattern in _PATTERNS:
        if pattern.search(squashed):
            return kind
    return None
