"""Replies that continue a topic after a short answer: an acknowledgement, then a question.

Why two parts: the acknowledgement shows what was heard ("한 달 정도면 짧지 않은 시간이에요"),
the question keeps the topic going ("회사 일 생각을 하면 어떤 마음이 먼저 들어요?"). Both are
chosen among those not yet given in this conversation, so a long talk does not repeat itself;
the question's kind is remembered so the next short answer is read against it. Only our own
phrases are reflected (a matched duration, a feeling from a fixed list), never free user text.
"""

from __future__ import annotations

from core.dialogue.shortreply import ShortKind, ShortReply
from core.dialogue.state import DialogueState, QuestionKind, reply_id
from core.dialogue.topics import topic_name

ACKS: dict[ShortKind | None, tuple[str, ...]] = {
    ShortKind.YES: (
        "그렇군요, 말해 줘서 고마워요.", "네, 그랬군요.", "알겠어요, 그렇게 답해 줘서 고마워요.",
        "그렇군요. 그 마음 충분히 이해돼요.", "그렇군요. 계속 듣고 있어요.",
    ),
    ShortKind.NO: (
        "그렇군요, 아니었군요.", "알겠어요. 그렇지 않았군요.",
        "그렇군요. 괜찮아요, 꼭 그래야 하는 건 아니에요.", "그렇군요. 솔직하게 말해 줘서 고마워요.",
    ),
    ShortKind.DONT_KNOW: (
        "모르겠는 게 당연해요. 마음은 늘 또렷하지 않으니까요.", "괜찮아요, 바로 답하지 않아도 돼요.",
        "잘 모르겠다는 것도 솔직한 대답이에요.", "천천히 생각해도 괜찮아요. 정답이 있는 질문이 아니에요.",
    ),
    ShortKind.THANKS: (
        "저야말로 이야기해 줘서 고마워요.", "고맙다고 해 줘서 저도 힘이 나요.",
        "그렇게 말해 줘서 고마워요. 저는 계속 여기 있을게요.",
    ),
    ShortKind.OKAY: ("그렇군요.", "그랬군요, 알겠어요.", "음, 그렇군요. 그런 날도 있죠."),
    ShortKind.EMOJI: ("보내 준 이모지로 마음이 조금 전해져요.", "말 대신 이모지로 답해 줬군요. 괜찮아요."),
    None: ("그랬군요. 이야기해 줘서 고마워요.", "듣고 있어요.", "그런 일이 있었군요.",
           "말해 줘서 고마워요. 조금씩 그려져요.", "그랬군요. 천천히 말해도 괜찮아요."),
}
FEELING_ACKS = (
    "{feeling}이 드셨군요. 그런 마음이 드는 게 당연해요.", "{feeling}, 그대로 전해져요.",
    "그때 {feeling}이 컸겠어요.", "{feeling}이 들 만한 일이었어요.",
)
DURATION_ACKS = {
    "amount": ("{d} 정도면 짧지 않은 시간이에요. 그동안 많이 애쓰셨어요.",
               "{d} 정도 그렇게 지내셨군요. 혼자 견디기 쉽지 않았겠어요."),
    "since": ("{d} 그러셨군요. 알려 줘서 고마워요.", "{d} 이어진 거군요. 그동안 마음이 많이 쓰였겠어요."),
    "long": ("꽤 오래 이어졌군요. 그동안 많이 지치셨겠어요.", "오래 안고 지내셨군요. 정말 애쓰셨어요."),
    "recent": ("아직 얼마 되지 않았군요. 그래도 마음이 많이 흔들렸겠어요.",
               "얼마 안 된 일이군요. 갑작스러워서 더 당황스러웠겠어요."),
}

CONTINUATIONS: dict[QuestionKind, tuple[str, ...]] = {
    QuestionKind.FEELING: (
        "{topic} 생각을 하면 지금 어떤 감정이 제일 먼저 올라와요?",
        "그 순간 마음은 어땠어요? 떠오르는 감정 하나만 말해 줘도 좋아요.",
        "그 일을 겪고 나서 스스로에게는 어떤 마음이 들었어요?",
        "요즘 {topic} 때문에 드는 기분을 한 단어로 말하면 뭘까요?",
    ),
    QuestionKind.DURATION: (
        "{topic} 때문에 힘들어진 건 언제부터였어요?",
        "이런 마음이 이어진 지는 얼마나 됐어요?",
        "이런 일이 처음 시작된 건 언제부터예요?",
    ),
    QuestionKind.YESNO: (
        "{topic}에 대해 털어놓을 수 있는 사람이 곁에 있어요?",
        "요즘 잠이나 식사는 그럭저럭 챙기고 있어요?",
        "오늘은 조금이라도 쉴 틈이 있었어요?",
        "그 마음을 누군가에게 말해 본 적 있어요?",
    ),
    QuestionKind.OPEN: (
        "{topic}에 대해 조금 더 들려줄래요? 어떤 장면이 가장 자주 떠올라요?",
        "하루 중 언제 그 무게가 가장 크게 느껴져요?",
        "그럴 때 조금이라도 도움이 됐던 게 있다면 뭐였어요?",
        "{topic}에서 가장 마음에 걸리는 부분은 어디예요?",
        "지금 가장 바라는 변화가 있다면 어떤 거예요?",
        "요즘 스스로를 돌보려고 해 본 것이 있어요?",
        "{topic}에 대해 제가 더 알았으면 하는 게 있어요? 편하게 말해 줘요.",
    ),
}
# What to ask next after each kind of question: never the same kind twice in a row.
_NEXT: dict[QuestionKind | None, tuple[QuestionKind, ...]] = {
    None: (QuestionKind.FEELING, QuestionKind.OPEN, QuestionKind.DURATION, QuestionKind.YESNO),
    QuestionKind.FEELING: (QuestionKind.DURATION, QuestionKind.OPEN, QuestionKind.YESNO),
    QuestionKind.DURATION: (QuestionKind.FEELING, QuestionKind.OPEN, QuestionKind.YESNO),
    QuestionKind.YESNO: (QuestionKind.OPEN, QuestionKind.FEELING, QuestionKind.DURATION),
    QuestionKind.OPEN: (QuestionKind.FEELING, QuestionKind.YESNO, QuestionKind.OPEN,
                        QuestionKind.DURATION),
}


def _by_freshness(options: tuple[str, ...], state: DialogueState, start: int) -> list[str]:
    """``options`` rotated by ``start``: those not given yet first, then the oldest given."""
    n = len(options)
    rotated = [options[(start + i) % n] for i in range(n)]
    age = {rid: i for i, rid in enumerate(state.given)}
    fresh = [o for o in rotated if not state.has_given(o)]
    used = sorted((o for o in rotated if state.has_given(o)),
                  key=lambda o: age.get(reply_id(o), -1))
    return fresh + used


def acknowledgements(short: ShortReply | None, state: DialogueState) -> list[str]:
    """Sentences that show ``short`` was heard, best first (a general one for news said in a
    few words inside the topic)."""
    if short is not None and short.kind is ShortKind.DURATION:
        d = short.detail
        form = "since" if d.startswith("since:") else d if d in ("long", "recent") else "amount"
        options = tuple(t.format(d=d.removeprefix("since:")) for t in DURATION_ACKS[form])
    elif short is not None and short.detail and short.kind in (ShortKind.FEELING,
                                                               ShortKind.EMOJI):
        options = tuple(t.format(feeling=short.detail) for t in FEELING_ACKS)
    else:
        options = ACKS[short.kind if short else None]
    return _by_freshness(options, state, state.turns)


# The kind of question a short answer has already answered: not asked again right away.
_ANSWERS_KIND = {ShortKind.DURATION: QuestionKind.DURATION, ShortKind.FEELING: QuestionKind.FEELING,
                 ShortKind.EMOJI: QuestionKind.FEELING}


# Kept among the given ids when the user has said how long it has lasted (no text stored).
DURATION_ANSWERED = "answered:duration"


def markers(short: ShortReply | None) -> tuple[str, ...]:
    """What a short answer tells the rest of the conversation (see DURATION_ANSWERED)."""
    return (DURATION_ANSWERED,) if short is not None and short.kind is ShortKind.DURATION else ()


def _asked(state: DialogueState, kind: QuestionKind, name: str) -> bool:
    if kind is QuestionKind.DURATION and state.has_given(DURATION_ANSWERED):
        return True
    return any(state.has_given(t.format(topic=name)) for t in CONTINUATIONS[kind])


def questions(state: DialogueState, short: ShortReply | None = None
              ) -> list[tuple[str, QuestionKind]]:
    """Questions that continue the topic, best first: of another kind than the one just asked
    or just answered, "since when" only once per conversation and never once the user said
    how long, not-yet-asked ones first."""
    name = topic_name(state.topic)
    answered = _ANSWERS_KIND.get(short.kind) if short is not None else None
    kinds = [k for k in _NEXT[state.question_kind]
             if k is not answered
             and not (k is QuestionKind.DURATION and _asked(state, k, name))]
    kinds += [k for k in CONTINUATIONS
              if k not in kinds and k is not answered and k is not QuestionKind.DURATION]
    fresh: list[tuple[str, QuestionKind]] = []
    used: list[tuple[str, QuestionKind]] = []
    for kind in kinds:
        options = tuple(t.format(topic=name) for t in CONTINUATIONS[kind])
        for option in _by_freshness(options, state, state.turns):
            (used if state.has_given(option) else fresh).append((option, kind))
    age = {rid: i for i, rid in enumerate(state.given)}
    used.sort(key=lambda qk: age.get(reply_id(qk[0]), -1))
    return fresh + used


def follow_up(short: ShortReply | None, state: DialogueState) -> tuple[str, str, str, QuestionKind]:
    """(reply, acknowledgement, question, question kind) continuing ``state``'s topic; the
    whole reply is never one given before while another pair fits."""
    acks = acknowledgements(short, state)
    asks = questions(state, short)
    for question, kind in asks:
        for ack in acks:
            text = f"{ack} {question}"
            if not state.has_given(text):
                return text, ack, question, kind
    (question, kind), ack = asks[0], acks[0]
    return f"{ack} {question}", ack, question, kind
