"""The Discord adapter (discord.py 2): DMs, mentions, allow-listed channels, slash commands.

Buddy answers a message when it is a direct message, when it mentions the bot, or when it
is posted in a channel listed in ``DISCORD_CHANNEL_IDS`` (threads of such a channel too).
It never answers bots, itself included. Slash commands live in one cog: ``/buddy`` (talk,
answered privately in servers), ``/forget`` (with a confirm button) and ``/help``.

Reading what people write in server channels needs the privileged *message content*
intent, switched on in the Developer Portal (see README); without it Buddy still hears
DMs, mentions and slash commands.

Rate limits: discord.py's HTTP client already honours 429s, per-route buckets and the
global limit, sleeping for ``retry_after`` and retrying. ``max_ratelimit_timeout`` caps
that wait so a reply is dropped (and logged) instead of waiting minutes. A send that still
fails (``discord.HTTPException``, ``discord.RateLimited``) is logged with its status and the
user gets a short, gentle notice where Discord lets us send one.

The bot is an ``AutoShardedBot``: large installations get as many gateway shards as
Discord recommends, with no code change.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import texts
from bot.gate import Gate
from core import replies
from core.config import Settings
from core.messages import IncomingMessage, Reply, ReplyKind

if TYPE_CHECKING:
    from core.pipeline import Buddy

log = logging.getLogger(__name__)

PLATFORM = "discord"
DISCORD_LIMIT = 2000
MAX_RATELIMIT_WAIT_S = 30.0
FORGET_CONFIRM_TIMEOUT_S = 120.0

# --- pure helpers -----------------------------------------------------------------------------
def strip_mention(text: str, bot_id: int, role_ids: Iterable[int] = ()) -> str:
    """The message without the bot's own ``<@id>`` / ``<@!id>`` / managed-role mentions."""
    text = re.sub(rf"<@!?{bot_id}>", " ", text)
    for role_id in role_ids:
        text = text.replace(f"<@&{role_id}>", " ")
    return text.strip()


def attachment_kind(message: discord.Message) -> str:
    """What a message without text carried, in the core's words ("sticker", "photo", ...)."""
    if message.stickers:
        return "sticker"
    for attachment in message.attachments:
        ctype = (attachment.content_type or "").lower()
        if ctype.startswith("image/"):
            return "photo"
        if ctype.startswith("audio/") or attachment.is_voice_message():
            return "voice"
        if ctype.startswith("video/"):
            return "video"
    return "file" if message.attachments else "text"


@contextlib.asynccontextmanager
async def typing_in(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """Shows "Buddy is typing…" while the body runs; a refused typing call changes nothing."""
    typing = channel.typing()
    try:
        await typing.__aenter__()
    except (discord.HTTPException, discord.RateLimited) as exc:
        log.debug("typing indicator refused (%s)", type(exc).__name__)
        yield
        return
    try:
        yield
    finally:
        await typing.__aexit__(None, None, None)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"{type(exc).__name__} status={exc.status} code={exc.code}"
    return type(exc).__name__


# --- the bot ----------------------------------------------------------------------------------
class BuddyDiscordBot(commands.AutoShardedBot):
    """Discord gateway client handed the shared :class:`~core.pipeline.Buddy` core."""

    def __init__(
        self,
        buddy: Buddy,
        *,
        channel_ids: frozenset[int] = frozenset(),
        sync_commands: bool = True,
        **options: object,
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # privileged: enable it in the Developer Portal
        options.setdefault("max_ratelimit_timeout", MAX_RATELIMIT_WAIT_S)
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: no text commands, only slash
            intents=intents,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,  # type: ignore[arg-type]
        )
        self.gate = Gate(buddy, PLATFORM)
        self.buddy = buddy
        self.channel_ids = frozenset(channel_ids)
        self.sync_commands = sync_commands
        self._login_begun = False

    async def setup_hook(self) -> None:
        """Register the slash commands; syncing publishes them to Discord (once per start)."""
        await self.add_cog(BuddyCommands(self))
        if not self.sync_commands:
            return
        try:
            synced = await self.tree.sync()
            log.info("discord slash commands synced: %s", ", ".join(c.name for c in synced))
        except (discord.HTTPException, discord.RateLimited) as exc:
            log.warning("could not sync discord slash commands (%s); old ones stay active",
                        _describe(exc))

    async def login(self, token: str) -> None:
        """Log in; remembered so that :meth:`close` knows what there is to close."""
        self._login_begun = True
        await super().login(token)

    async def close(self) -> None:
        """Also safe for a bot that never logged in (e.g. ``buddy serve`` failing early).

        The sharded client's ``close`` needs the shard event queue that ``login`` sets up,
        so a bot that never began to log in is closed as a plain :class:`discord.Client`
        (its HTTP session; no shards, no cogs loaded yet).
        """
        if not self._login_begun:
            await discord.Client.close(self)
            return
        await super().close()

    async def on_ready(self) -> None:
        log.info("discord connected as %s (shards: %s, guilds: %d)",
                 self.user, self.shard_count, len(self.guilds))

    # --- which messages Buddy answers ------------------------------------------------------
    def _my_roles(self, message: discord.Message) -> list[int]:
        """Ids of the bot's own managed role(s) mentioned in the message."""
        me = self.user
        return [role.id for role in message.role_mentions
                if me is not None and role.tags is not None and role.tags.bot_id == me.id]

    def _mentions_me(self, message: discord.Message) -> bool:
        me = self.user
        if me is None:
            return False
        return any(user.id == me.id for user in message.mentions) or bool(self._my_roles(message))

    def _allowed_channel(self, channel: object) -> bool:
        if getattr(channel, "id", None) in self.channel_ids:
            return True
        return getattr(channel, "parent_id", None) in self.channel_ids  # threads

    def should_answer(self, message: discord.Message) -> bool:
        """DMs, mentions and allow-listed channels; never bots (itself included) or system posts."""
        if message.author.bot or (self.user is not None and message.author.id == self.user.id):
            return False
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return False
        if message.guild is None:
            return True
        return self._mentions_me(message) or self._allowed_channel(message.channel)

    def incoming(self, message: discord.Message) -> IncomingMessage:
        """The core's view of a Discord message: mention removed, attachments named."""
        text = message.content or ""
        if self.user is not None:
            text = strip_mention(text, self.user.id, self._my_roles(message))
        kind = "text" if text.strip() else attachment_kind(message)
        return IncomingMessage(
            platform=PLATFORM,
            user_id=str(message.author.id),
            text=text if kind == "text" else "",
            message_id=str(message.id),
            kind=kind,
            address=str(message.channel.id),  # the DM or server channel, for send_text
        )

    async def on_message(self, message: discord.Message) -> None:
        """Through the gate: once per message id, one at a time per channel, in order.

        discord.py starts one task per event in arrival order, and the gate's turn is the
        first thing taken, so the order holds; during shutdown the gate refuses (the crisis
        check still runs) instead of calling the model.
        """
        if not self.should_answer(message) or not self.gate.first_time(str(message.id)):
            return
        async with self.gate.in_order(str(message.channel.id)):
            reply = await self.gate.answer(self.incoming(message),
                                           lambda: typing_in(message.channel))
            log.debug("discord reply kind=%s crisis=%s", reply.kind.value, reply.crisis)
            await self.send_reply(message, reply)

    async def send_reply(self, message: discord.Message, reply: Reply) -> int:
        """Send the reply in pieces; returns how many pieces Discord accepted."""
        sent = 0
        for i, chunk in enumerate(Gate.to_send(reply, DISCORD_LIMIT)):
            try:
                if i == 0 and message.guild is not None:
                    await message.reply(chunk, mention_author=False)
                else:
                    await message.channel.send(chunk)
                sent += 1
            except (discord.HTTPException, discord.RateLimited) as exc:
                log.warning("discord send failed in channel %s (%s); piece %d of reply lost",
                            message.channel.id, _describe(exc), i + 1)
                await self._gentle_notice(message.channel, exc)
                break
        return sent

    async def _gentle_notice(self, channel: discord.abc.Messageable, exc: BaseException) -> None:
        """Tell the user something went wrong, unless Discord forbids us to write there."""
        if isinstance(exc, (discord.Forbidden, discord.RateLimited)):
            return
        try:
            await channel.send(texts.SEND_FAILED)
        except (discord.HTTPException, discord.RateLimited) as again:
            log.warning("discord notice also failed (%s)", _describe(again))


# --- slash commands ---------------------------------------------------------------------------
class ForgetView(discord.ui.View):
    """The confirm / cancel buttons of ``/forget``; only the person who asked may press them."""

    def __init__(self, buddy: Buddy, owner_id: int) -> None:
        super().__init__(timeout=FORGET_CONFIRM_TIMEOUT_S)
        self.buddy = buddy
        self.owner_id = owner_id
        self.message: discord.InteractionMessage | None = None
        self.deleted: int | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(texts.DISCORD_NOT_YOUR_BUTTON, ephemeral=True)
        return False

    @discord.ui.button(label=texts.DISCORD_BUTTON_DELETE, style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.defer()  # deleting may take longer than Discord's 3 s
        try:
            self.deleted = await self.buddy.forget(PLATFORM, str(interaction.user.id))
            text = replies.FORGOTTEN
            log.info("discord user forgotten (%d messages deleted)", self.deleted)
        except Exception:
            log.exception("discord /forget failed")
            text = texts.DISCORD_FORGET_FAILED
        await interaction.edit_original_response(content=text, view=None)

    @discord.ui.button(label=texts.DISCORD_BUTTON_CANCEL, style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content=texts.DISCORD_FORGET_CANCELLED, view=None)

    async def on_timeout(self) -> None:
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(content=texts.DISCORD_FORGET_TIMEOUT, view=None)


class BuddyCommands(commands.Cog):
    """``/buddy``, ``/forget`` and ``/help``. Answers in servers are private (ephemeral)."""

    def __init__(self, bot: BuddyDiscordBot) -> None:
        self.bot = bot
        self.buddy = bot.buddy

    @app_commands.command(name="buddy", description="버디에게 지금 마음을 이야기해요")
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    @app_commands.describe(text="하고 싶은 이야기")
    async def talk(self, interaction: discord.Interaction,
                   text: app_commands.Range[str, 1, 4000]) -> None:
        private = interaction.guild is not None  # counseling in a server stays between two
        if not self.bot.gate.accepting:
            refused = self.bot.gate.refuse(text)
            for i, chunk in enumerate(Gate.pieces(refused.text, DISCORD_LIMIT)):
                if i == 0:
                    await interaction.response.send_message(chunk, ephemeral=private)
                else:
                    await interaction.followup.send(chunk, ephemeral=private)
            return
        await interaction.response.defer(ephemeral=private, thinking=True)
        reply = await self.bot.gate.answer(IncomingMessage(
            platform=PLATFORM, user_id=str(interaction.user.id), text=text,
            message_id=str(interaction.id),
            address=str(interaction.channel_id) if interaction.channel_id else None,
        ))
        if reply.kind is ReplyKind.HELD:  # a person answers: end "Buddy is thinking…"
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
            return
        for chunk in Gate.pieces(reply.text, DISCORD_LIMIT):
            try:
                await interaction.followup.send(chunk, ephemeral=private)
            except (discord.HTTPException, discord.RateLimited) as exc:
                log.warning("discord /buddy follow-up failed (%s)", _describe(exc))
                break

    @app_commands.command(name="forget", description="버디와 나눈 내 대화 기록을 모두 지워요")
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def forget(self, interaction: discord.Interaction) -> None:
        view = ForgetView(self.buddy, interaction.user.id)
        await interaction.response.send_message(texts.DISCORD_FORGET_CONFIRM, view=view, ephemeral=True)
        with contextlib.suppress(discord.HTTPException):
            view.message = await interaction.original_response()

    @app_commands.command(name="help", description="버디 사용법과 도움받을 수 있는 곳")
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(texts.DISCORD_HELP,
                                                ephemeral=interaction.guild is not None)


def create_discord_bot(buddy: Buddy, settings: Settings) -> BuddyDiscordBot:
    """The bot for ``bot.serve``; start it with ``await bot.start(token)`` on the shared loop.

    Raises :class:`core.errors.ConfigError` when ``DISCORD_CHANNEL_IDS`` is malformed.
    """
    return BuddyDiscordBot(buddy, channel_ids=settings.discord_channels)
