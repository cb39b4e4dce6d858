"""The Discord adapter against discord.py's real objects and its real HTTP client.

Gateway payloads (tests/bot/discord_payloads.py) go through discord.py's own
``ConnectionState``, so the bot sees genuine ``discord.Message`` and
``discord.Interaction`` objects; everything the bot sends travels over real HTTP to a
stand-in Discord API on 127.0.0.1 (tests/bot/fake_discord_api.py) that records it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import discord
import discord_payloads as p
import pytest
from fake_discord_api import FakeDiscordAPI
from sqlalchemy import select

from bot.discord_bot import BuddyDiscordBot, create_discord_bot
from bot.texts import DISCORD_HELP as HELP
from bot.texts import DISCORD_NOT_YOUR_BUTTON as NOT_YOUR_BUTTON
from bot.texts import SEND_FAILED
from core import replies
from core.answers import AnswerBook
from core.classify.base import FixedClassifier
from core.config import Settings
from core.pipeline import Buddy
from core.storage.models import Message
from core.storage.writer import LogWriter

SLEEP = "요즘 잠을 잘 못 자요"
SLEEP_ANSWER = "잠이 오지 않는 밤은 길게 느껴지죠. 요즘 잠들기 전에 어떤 생각이 드세요?"
LONG = "긴 이야기를 들려줄래요"
LONG_ANSWER = ("오늘 하루를 천천히 돌아보면 좋겠어요. " * 120).strip()  # about 2,500 characters
CRISIS = "요즘 너무 힘들어서 죽고 싶어요"


@pytest.fixture
def buddy(writer: LogWriter) -> Buddy:
    classifier = FixedClassifier({SLEEP: "증상/불면", LONG: "일상/긴이야기"},
                                 default="일반대화", confidence=0.9, default_confidence=0.1)
    answers = AnswerBook({"증상/불면": [SLEEP_ANSWER], "일상/긴이야기": [LONG_ANSWER]}, seed=1)
    return Buddy(classifier=classifier, answers=answers, pseudonym_secret=b"discord-test",
                 writer=writer)


@pytest.fixture
async def api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordAPI]:
    fake = FakeDiscordAPI()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(api: FakeDiscordAPI, buddy: Buddy) -> AsyncIterator[BuddyDiscordBot]:
    """Logged in over HTTP (which runs setup_hook and syncs commands), one server known."""
    bot = BuddyDiscordBot(buddy, channel_ids=frozenset({p.CHANNEL_COUNSEL}))
    await bot.login("MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.token")
    bot._connection.parse_guild_create(p.guild_create())
    yield bot
    await bot.close()


def message_from(bot: BuddyDiscordBot, payload: dict) -> discord.Message:
    """A discord.Message built exactly as discord.py's MESSAGE_CREATE parser builds it."""
    state = bot._connection
    channel, _guild = state._get_guild_channel(payload)
    return discord.Message(state=state, channel=channel, data=payload)  # type: ignore[arg-type]


async def stored_messages(buddy: Buddy) -> list[Message]:
    assert buddy.writer is not None
    assert await buddy.writer.flush(timeout=10)
    async with buddy.writer.sessions() as session:
        return list(await session.scalars(select(Message).order_by(Message.created_at)))


# --- startup -----------------------------------------------------------------------------------
async def test_login_registers_the_three_slash_commands(bot: BuddyDiscordBot,
                                                        api: FakeDiscordAPI) -> None:
    (sync,) = api.sent(r"/applications/\d+/commands", method="PUT")
    names = {c["name"]: c for c in sync.body}
    assert set(names) == {"buddy", "forget", "help"}
    assert names["buddy"]["options"][0]["name"] == "text"
    assert names["buddy"]["options"][0]["required"] is True
    assert names["buddy"]["contexts"] == [0, 1]  # servers and DMs
    assert bot.intents.message_content


async def test_factory_reads_the_channel_allow_list(buddy: Buddy) -> None:
    settings = Settings(discord_channel_ids=f"{p.CHANNEL_COUNSEL}, 42")
    bot = create_discord_bot(buddy, settings)
    assert bot.channel_ids == {p.CHANNEL_COUNSEL, 42}
    assert isinstance(bot, discord.AutoShardedClient)
    await bot.close()


# --- which messages are answered -------------------------------------------------------------
async def test_direct_message_is_answered_in_the_dm(bot: BuddyDiscordBot,
                                                    api: FakeDiscordAPI, buddy: Buddy) -> None:
    await bot.on_message(message_from(bot, p.dm(SLEEP)))

    (sent,) = api.sent(f"/channels/{p.DM_CHANNEL}/messages")
    assert sent.body["content"] == SLEEP_ANSWER
    assert "message_reference" not in sent.body  # a DM needs no reply arrow
    assert api.sent(f"/channels/{p.DM_CHANNEL}/typing"), "no typing indicator was shown"
    rows = await stored_messages(buddy)
    assert [(r.role, r.platform, r.text) for r in rows] == [
        ("user", "discord", SLEEP), ("bot", "discord", SLEEP_ANSWER)]
    assert str(p.USER_ID) not in rows[0].user_id  # only the pseudonymous key is stored


@pytest.mark.parametrize("payload", [
    pytest.param(lambda: p.mention(SLEEP), id="user-mention"),
    pytest.param(lambda: p.mention(SLEEP, nick_form=True), id="nickname-mention"),
    pytest.param(lambda: p.role_mention(SLEEP), id="bot-role-mention"),
])
async def test_mention_in_a_server_channel_is_answered_as_a_reply(
        bot: BuddyDiscordBot, api: FakeDiscordAPI, payload) -> None:  # noqa: ANN001
    data = payload()
    await bot.on_message(message_from(bot, data))

    (sent,) = api.sent(f"/channels/{p.CHANNEL_GENERAL}/messages")
    # The mention was stripped before classifying, so the sleep answer came back.
    assert sent.body["content"] == SLEEP_ANSWER
    assert str(sent.body["message_reference"]["message_id"]) == data["id"]
    assert sent.body["allowed_mentions"]["replied_user"] is False  # no ping


async def test_every_message_in_an_allow_listed_channel_is_answered(
        bot: BuddyDiscordBot, api: FakeDiscordAPI) -> None:
    await bot.on_message(message_from(bot, p.guild_message(SLEEP, p.CHANNEL_COUNSEL)))
    assert api.messages_to(p.CHANNEL_COUNSEL) == [SLEEP_ANSWER]


async def test_a_channel_outside_the_allow_list_is_ignored(
        bot: BuddyDiscordBot, api: FakeDiscordAPI, buddy: Buddy) -> None:
    await bot.on_message(message_from(bot, p.guild_message(SLEEP, p.CHANNEL_GENERAL)))
    assert not api.sent(r"/channels/\d+/(messages|typing)")
    assert await stored_messages(buddy) == []  # not even logged


async def test_other_bots_and_itself_are_ignored(bot: BuddyDiscordBot,
                                                 api: FakeDiscordAPI) -> None:
    other_bot = p.user(p.OTHER_BOT_ID, "helperbot", None, bot=True)
    await bot.on_message(message_from(bot, p.guild_message(SLEEP, p.CHANNEL_COUNSEL,
                                                           author=other_bot)))
    await bot.on_message(message_from(bot, p.guild_message(SLEEP_ANSWER, p.CHANNEL_COUNSEL,
                                                           author=p.bot_user())))
    await bot.on_message(message_from(bot, p._message(p.DM_CHANNEL, SLEEP_ANSWER,
                                                      p.bot_user(), guild=False)))
    assert not api.sent(r"/channels/\d+/(messages|typing)")


async def test_system_messages_are_ignored(bot: BuddyDiscordBot, api: FakeDiscordAPI) -> None:
    pinned = p.guild_message("", p.CHANNEL_COUNSEL, message_type=6)  # "pinned a message"
    await bot.on_message(message_from(bot, pinned))
    assert not api.sent(r"/channels/\d+/messages")


async def test_the_gateway_path_reaches_on_message(bot: BuddyDiscordBot,
                                                   api: FakeDiscordAPI) -> None:
    """MESSAGE_CREATE through discord.py's parser and event dispatch, as on a live gateway."""
    bot._connection.parse_message_create(p.dm(SLEEP))
    (sent,) = await api.wait_for(f"/channels/{p.DM_CHANNEL}/messages")
    assert sent.body["content"] == SLEEP_ANSWER


async def test_a_redelivered_message_is_answered_once(bot: BuddyDiscordBot,
                                                     api: FakeDiscordAPI) -> None:
    """After a gateway resume Discord may deliver a message again: one reply, not two."""
    payload = p.dm(SLEEP)
    bot._connection.parse_message_create(payload)
    bot._connection.parse_message_create(payload)
    await api.wait_for(f"/channels/{p.DM_CHANNEL}/messages")
    await bot.on_message(message_from(bot, p.dm(LONG)))  # a later message, answered after
    assert api.messages_to(p.DM_CHANNEL)[0] == SLEEP_ANSWER
    assert api.messages_to(p.DM_CHANNEL).count(SLEEP_ANSWER) == 1


async def test_two_quick_messages_are_answered_in_order(bot: BuddyDiscordBot,
                                                       api: FakeDiscordAPI) -> None:
    bot._connection.parse_message_create(p.dm(LONG))
    bot._connection.parse_message_create(p.dm(SLEEP))
    await api.wait_for(f"/channels/{p.DM_CHANNEL}/messages", count=3)
    assert api.messages_to(p.DM_CHANNEL)[-1] == SLEEP_ANSWER  # after both pieces of LONG's


# --- what is sent back -------------------------------------------------------------------------
async def test_a_long_reply_is_split_under_2000_characters(bot: BuddyDiscordBot,
                                                           api: FakeDiscordAPI) -> None:
    assert len(LONG_ANSWER) > 2000
    await bot.on_message(message_from(bot, p.dm(LONG)))

    pieces = api.messages_to(p.DM_CHANNEL)
    assert len(pieces) == 2
    assert all(len(piece) <= 2000 for piece in pieces)
    assert " ".join(pieces) == LONG_ANSWER  # nothing lost, no word cut in half


async def test_crisis_message_gets_the_hotlines(bot: BuddyDiscordBot, api: FakeDiscordAPI,
                                                buddy: Buddy) -> None:
    await bot.on_message(message_from(bot, p.dm(CRISIS)))
    (text,) = api.messages_to(p.DM_CHANNEL)
    assert "109" in text and "1577-0199" in text
    rows = await stored_messages(buddy)
    assert rows[0].crisis and rows[1].crisis


@pytest.mark.parametrize(("extra", "expected"), [
    ({"sticker_items": [p.sticker_item()]}, replies.UNSUPPORTED["sticker"]),
    ({"attachments": [p.photo_attachment()]}, replies.UNSUPPORTED["photo"]),
])
async def test_a_sticker_or_photo_without_text_gets_a_kind_reply(
        bot: BuddyDiscordBot, api: FakeDiscordAPI, extra: dict, expected: str) -> None:
    await bot.on_message(message_from(bot, p.dm("", **extra)))
    assert api.messages_to(p.DM_CHANNEL) == [expected]


@pytest.mark.parametrize("text", [
    "",  # a bare mention
    "   \u200b\u200f ",  # spaces, zero-width and right-to-left marks
    "\U0001f622\U0001f622",  # emoji only
    "<script>alert(1)</script>'; DROP TABLE messages;--",
    "\x00\x01 안녕\u202e",
])
async def test_bad_input_in_a_mention_gets_a_reply_not_an_error(
        bot: BuddyDiscordBot, api: FakeDiscordAPI, buddy: Buddy, text: str) -> None:
    await bot.on_message(message_from(bot, p.mention(text)))
    (sent,) = api.sent(f"/channels/{p.CHANNEL_GENERAL}/messages")
    assert sent.body["content"].strip()
    assert len(await stored_messages(buddy)) == 2  # the table survived, the turn is logged


async def test_a_429_is_waited_out_and_the_reply_still_arrives(
        bot: BuddyDiscordBot, api: FakeDiscordAPI) -> None:
    api.rate_limit[f"/channels/{p.DM_CHANNEL}/messages"] = 2
    await bot.on_message(message_from(bot, p.dm(SLEEP)))
    assert api.messages_to(p.DM_CHANNEL) == [SLEEP_ANSWER]
    assert api.rate_limit[f"/channels/{p.DM_CHANNEL}/messages"] == 0


async def test_a_refused_send_is_logged_without_crashing(
        bot: BuddyDiscordBot, api: FakeDiscordAPI, caplog: pytest.LogCaptureFixture) -> None:
    api.fail[f"/channels/{p.CHANNEL_COUNSEL}/messages"] = 403  # no permission to write here
    caplog.set_level(logging.WARNING, logger="bot.discord_bot")
    await bot.on_message(message_from(bot, p.guild_message(SLEEP, p.CHANNEL_COUNSEL)))
    assert len(api.sent(f"/channels/{p.CHANNEL_COUNSEL}/messages")) == 1  # no retry storm
    assert "Forbidden status=403" in caplog.text
    assert SLEEP not in caplog.text  # counseling text stays out of the log


async def test_a_failed_send_tells_the_user_gently(bot: BuddyDiscordBot,
                                                   api: FakeDiscordAPI) -> None:
    api.fail[f"/channels/{p.DM_CHANNEL}/messages"] = 400
    await bot.on_message(message_from(bot, p.dm(SLEEP)))
    assert [r.body["content"] for r in api.sent(f"/channels/{p.DM_CHANNEL}/messages")] == [
        SLEEP_ANSWER, SEND_FAILED]


# --- slash commands ----------------------------------------------------------------------------
async def test_slash_buddy_in_a_server_answers_privately(bot: BuddyDiscordBot,
                                                          api: FakeDiscordAPI) -> None:
    bot._connection.parse_interaction_create(p.slash_command("buddy", {"text": SLEEP}))

    (followup,) = await api.wait_for(rf"/webhooks/{p.APP_ID}/[^/]+")
    (callback,) = api.sent(r"/interactions/\d+/[^/]+/callback")
    assert callback.body["type"] == 5  # "Buddy is thinking…" first
    assert callback.body["data"]["flags"] & 64  # ephemeral: only the user sees it
    assert followup.body["content"] == SLEEP_ANSWER
    assert followup.body["flags"] & 64


async def test_slash_buddy_in_a_dm_with_a_crisis_message(bot: BuddyDiscordBot,
                                                         api: FakeDiscordAPI) -> None:
    bot._connection.parse_interaction_create(
        p.slash_command("buddy", {"text": CRISIS}, in_guild=False))
    (followup,) = await api.wait_for(rf"/webhooks/{p.APP_ID}/[^/]+")
    assert "109" in followup.body["content"]
    assert not followup.body.get("flags")  # a DM is private already


async def test_slash_help_lists_commands_and_hotlines(bot: BuddyDiscordBot,
                                                      api: FakeDiscordAPI) -> None:
    bot._connection.parse_interaction_create(p.slash_command("help"))
    (callback,) = await api.wait_for(r"/interactions/\d+/[^/]+/callback")
    assert callback.body["type"] == 4
    assert callback.body["data"]["content"] == HELP
    assert "/forget" in HELP and "109" in HELP and len(HELP) <= 2000


async def test_slash_forget_deletes_after_the_confirm_button(
        bot: BuddyDiscordBot, api: FakeDiscordAPI, buddy: Buddy) -> None:
    await bot.on_message(message_from(bot, p.dm(SLEEP)))
    assert len(await stored_messages(buddy)) == 2

    bot._connection.parse_interaction_create(p.slash_command("forget"))
    (callback,) = await api.wait_for(r"/interactions/\d+/[^/]+/callback")
    assert callback.body["data"]["content"].startswith("지금까지 버디와 나눈 대화 기록을")
    buttons = callback.body["data"]["components"][0]["components"]
    confirm = next(b for b in buttons if b["style"] == 4)  # the red "모두 지우기"
    assert len(await stored_messages(buddy)) == 2, "nothing may be deleted before confirming"

    (prompt,) = api.interaction_messages
    bot._connection.parse_interaction_create(p.button_press(confirm["custom_id"], prompt))
    (edit,) = await api.wait_for(rf"/webhooks/{p.APP_ID}/[^/]+/messages/@original",
                                 method="PATCH")
    assert edit.body["content"] == replies.FORGOTTEN
    assert edit.body["components"] == []  # the buttons are gone
    assert await stored_messages(buddy) == []


async def test_only_the_asker_can_press_forget(bot: BuddyDiscordBot, api: FakeDiscordAPI,
                                               buddy: Buddy) -> None:
    await bot.on_message(message_from(bot, p.dm(SLEEP)))
    bot._connection.parse_interaction_create(p.slash_command("forget"))
    (callback,) = await api.wait_for(r"/interactions/\d+/[^/]+/callback")
    confirm = callback.body["data"]["components"][0]["components"][0]
    (prompt,) = api.interaction_messages

    stranger = p.user(p.OTHER_BOT_ID, "stranger", "낯선사람")
    bot._connection.parse_interaction_create(
        p.button_press(confirm["custom_id"], prompt, presser=stranger))
    callbacks = await api.wait_for(r"/interactions/\d+/[^/]+/callback", count=2)
    assert callbacks[1].body["data"]["content"] == NOT_YOUR_BUTTON
    assert len(await stored_messages(buddy)) == 2
