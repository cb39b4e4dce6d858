"""The message path as a user meets it: safety first, then the right kind of answer, logged."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from core import replies
from core.answers import AnswerBook
from core.classify.base import ClassifierBase, FixedClassifier, Prediction
from core.messages import IncomingMessage, ReplyKind
from core.pipeline import Buddy
from core.storage.models import Message
from core.storage.writer import LogWriter

ANSWERS = {
    "증상/불면": ["잠이 오지 않는 밤은 길게 느껴지죠.", "요즘 잠들기가 많이 힘드시군요."],
    "감정/걱정": ["걱정이 많으시군요. 어떤 일이 가장 마음에 걸리세요?"],
    "일반대화": ["반가워요."],
}
TABLE = {
    "요즘 잠이 안 와요": "증상/불면",
    "우리 애가 걱정돼요": "감정/걱정/자녀",
}


class BrokenClassifier(ClassifierBase):
    """A backend that fails on every call, as a damaged model would."""

    model_id = "broken"
    labels: Sequence[str] = ("일반대화",)

    def predict(self, texts: Sequence[str], top_k: int = 3) -> list[Prediction]:
        raise RuntimeError("model file damaged")


def make_buddy(writer: LogWriter | None = None, classifier=None, **kw) -> Buddy:  # noqa: ANN001
    return Buddy(
        classifier=classifier or FixedClassifier(TABLE, default="일반대화", default_confidence=0.1),
        answers=AnswerBook(ANSWERS, seed=1),
        pseudonym_secret=b"test-secret",
        writer=writer,
        **kw,
    )


def msg(text: str, user: str = "1001", platform: str = "telegram", kind: str = "text") -> IncomingMessage:
    return IncomingMessage(platform, user, text, kind=kind)


async def logged(writer: LogWriter) -> list[Message]:
    assert await writer.flush(timeout=10)
    async with writer.sessions() as s:
        return list(await s.scalars(select(Message).order_by(Message.created_at)))


async def test_category_answer_and_log(writer: LogWriter) -> None:
    buddy = make_buddy(writer)
    reply = await buddy.handle(msg("요즘 잠이 안 와요"))
    assert reply.kind is ReplyKind.ANSWER
    assert reply.category == "증상/불면"
    assert reply.text in ANSWERS["증상/불면"]
    rows = await logged(writer)
    assert [(r.role, r.text) for r in rows] == [("user", "요즘 잠이 안 와요"), ("bot", reply.text)]
    assert rows[0].category == "증상/불면" and rows[0].model_id == "fixed"
    assert rows[1].latency_ms is not None


async def test_same_user_never_gets_the_same_answer_twice_in_a_row() -> None:
    buddy = make_buddy()
    answers = [(await buddy.handle(msg("요즘 잠이 안 와요"))).text for _ in range(6)]
    assert all(a != b for a, b in zip(answers, answers[1:], strict=False))


async def test_child_category_falls_back_to_parent_answers() -> None:
    reply = await make_buddy().handle(msg("우리 애가 걱정돼요"))
    assert reply.category == "감정/걱정/자녀"
    assert reply.text == ANSWERS["감정/걱정"][0]


async def test_low_confidence_gets_a_reflective_fallback() -> None:
    reply = await make_buddy().handle(msg("음 그냥 그런 날이야 뭐라 해야 할지"))
    assert reply.kind is ReplyKind.FALLBACK
    assert reply.text in replies.FALLBACKS  # an invitation to say more, not a guessed answer


@pytest.mark.parametrize("text", ["죽고 싶어요", "오늘 밤에 자살할 거야", "손목을 그었어"])
async def test_crisis_reply_even_when_the_classifier_is_broken(writer: LogWriter, text: str) -> None:
    buddy = make_buddy(writer, classifier=BrokenClassifier())
    reply = await buddy.handle(msg(text))
    assert reply.crisis and reply.kind is ReplyKind.CRISIS
    assert "109" in reply.text and "1577-0199" in reply.text
    rows = await logged(writer)
    assert rows[0].crisis and rows[0].signals  # flagged with the signals that fired


async def test_crisis_reply_even_when_the_log_is_broken() -> None:
    class DeadWriter:
        def submit(self, turn: object) -> None:
            raise OSError("disk full")

    buddy = make_buddy(writer=DeadWriter())  # type: ignore[arg-type]
    reply = await buddy.handle(msg("더 이상 살고 싶지 않아"))
    assert reply.crisis and "109" in reply.text


async def test_crisis_reply_even_when_the_batched_morpheme_analysis_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import core.crisis_step
    from core.inference import BatchWorker

    def crash(batch: list[list[str]]) -> list[None]:
        raise RuntimeError("kiwi worker crashed")

    monkeypatch.setattr(core.crisis_step, "kiwi_worker",
                        lambda: BatchWorker(crash, name="broken-kiwi", max_batch=128))
    replies_ = await asyncio.gather(*(make_buddy().handle(msg(t, user=str(i))) for i, t in
                                      enumerate(["죽고 싶어요", "요즘 잠이 안 와요", "살기 싫어"])))
    assert [r.crisis for r in replies_] == [True, False, True]


async def test_after_a_crisis_the_next_turns_stay_gentle() -> None:
    buddy = make_buddy()
    await buddy.handle(msg("죽고 싶다"))
    follow = await buddy.handle(msg("요즘 잠이 안 와요"))
    assert follow.kind is ReplyKind.SAFETY_FOLLOWUP
    other_user = await buddy.handle(msg("요즘 잠이 안 와요", user="2002"))
    assert other_user.kind is ReplyKind.ANSWER


async def test_everyday_idiom_is_not_a_crisis() -> None:
    reply = await make_buddy().handle(msg("배고파 죽겠다 ㅋㅋ"))
    assert not reply.crisis


@pytest.mark.parametrize(
    ("text", "kind"),
    [("", ReplyKind.EMPTY), ("   \n\t ", ReplyKind.EMPTY), ("😢😢😢", ReplyKind.EMPTY),
     ("\u200b\u200f\u202e", ReplyKind.EMPTY), ("\x00\x01\x02", ReplyKind.EMPTY)],
)
async def test_nothing_to_read_gets_a_kind_reply(writer: LogWriter, text: str, kind: ReplyKind) -> None:
    reply = await make_buddy(writer).handle(msg(text))
    assert reply.kind is kind and reply.text
    assert len(await logged(writer)) == 2  # nothing is lost: even an empty message is logged


async def test_sticker_gets_a_text_only_reply(writer: LogWriter) -> None:
    reply = await make_buddy(writer).handle(msg("", kind="sticker"))
    assert reply.kind is ReplyKind.UNSUPPORTED and "스티커" in reply.text
    assert (await logged(writer))[0].text == "[sticker]"


async def test_other_scripts_are_answered_kindly() -> None:
    reply = await make_buddy().handle(msg("I feel a bit sad today"))
    assert reply.kind is ReplyKind.FALLBACK and "한국어" in reply.text


async def test_huge_message_is_answered_and_logged_in_full(writer: LogWriter) -> None:
    text = "요즘 잠이 안 와요. " * 10_000
    reply = await make_buddy(writer).handle(msg(text))
    assert reply.text
    assert (await logged(writer))[0].text == text.replace("\x00", "")


async def test_crisis_at_the_end_of_a_long_message_is_still_seen() -> None:
    text = "오늘 회사에서 있었던 일을 길게 말해 볼게요. " * 60 + "그래서 이제 그냥 죽고 싶어요."
    assert len(text) > 1000
    assert (await make_buddy().handle(msg(text))).crisis


async def test_goodbye_ends_the_conversation() -> None:
    buddy = make_buddy()
    first = await buddy.handle(msg("안녕"))
    assert first.kind is ReplyKind.GREETING
    bye = await buddy.handle(msg("고마워, 이만 종료해줘 버디"))
    assert bye.kind is ReplyKind.FAREWELL and bye.ends_conversation
    again = await buddy.handle(msg("요즘 잠이 안 와요"))
    assert again.conversation_id != first.conversation_id


async def test_no_raw_platform_id_reaches_the_database(writer: LogWriter, tmp_path: Path) -> None:
    raw_id = "987654321012"
    buddy = make_buddy(writer)
    reply = await buddy.handle(msg("요즘 잠이 안 와요", user=raw_id))
    await logged(writer)
    assert raw_id not in reply.user_ref
    for f in tmp_path.glob("log.db*"):
        assert raw_id.encode() not in f.read_bytes()


async def test_forget_deletes_the_users_rows(writer: LogWriter) -> None:
    buddy = make_buddy(writer)
    await buddy.handle(msg("요즘 잠이 안 와요", user="1"))
    await buddy.handle(msg("요즘 잠이 안 와요", user="2"))
    assert await buddy.forget("telegram", "1") == 2
    rows = await logged(writer)
    assert len(rows) == 2 and {r.user_id for r in rows} == {buddy.user_key("telegram", "2")}


async def test_flood_limit_answers_with_a_slow_down_notice_but_never_blocks_a_crisis() -> None:
    buddy = make_buddy(flood_limit_per_minute=3)
    kinds = [(await buddy.handle(msg("요즘 잠이 안 와요"))).text for _ in range(4)]
    assert "천천히" in kinds[-1]
    assert (await buddy.handle(msg("죽고 싶어"))).crisis


async def test_linear_model_answers_the_same_under_load_as_alone(tmp_path: Path) -> None:
    """Batched Kiwi prefetch and on-loop prediction change where work runs, not answers."""
    from core.classify.loader import load_model
    from core.dataset.records import Dataset, Example
    from training.linear import train_linear

    data = {
        "증상/불면": ["잠이 안 와요", "밤새 잠을 못 잤어", "새벽까지 잠이 안 오네", "요즘 잠을 설쳐요"],
        "감정/걱정": ["걱정이 너무 많아요", "내일 일이 걱정돼", "자꾸 걱정이 돼서 불안해", "걱정 때문에 힘들어"],
    }
    train_linear(Dataset([Example(t, c) for c, ts in data.items() for t in ts], {}), tmp_path, seed=1)
    model = load_model(tmp_path)
    texts = ["잠이 안 와서 괴로워요", "시험이 걱정돼요", "밤에 자꾸 깨요 ㅠㅠ", "걱정 걱정 또 걱정",
             "요즘 너무 피곤한데 잠은 안 오고", "내일 면접이라 떨려요"] * 5
    buddy = make_buddy(classifier=model, confidence_threshold=0.0)
    replies_ = await asyncio.gather(*(buddy.handle(msg(t, user=str(i))) for i, t in enumerate(texts)))
    await buddy.aclose()
    fresh = load_model(tmp_path)
    for text, reply in zip(texts, replies_, strict=True):
        (alone,) = fresh.predict([text], top_k=3)
        assert (reply.category, reply.confidence) == (alone.category, alone.confidence)
