"""Discord gateway payloads shaped like the ones Discord sends (API v10), for the adapter tests.

Each builder returns the ``d`` of a gateway dispatch (MESSAGE_CREATE, GUILD_CREATE,
INTERACTION_CREATE) as Discord documents and sends it, with Korean users and texts, so
that discord.py turns them into real ``Message`` and ``Interaction`` objects.
"""

from __future__ import annotations

import itertools
from typing import Any

BOT_ID = 1100000000000000001
APP_ID = BOT_ID  # a bot's application id equals its user id
OWNER_ID = 1100000000000000002
USER_ID = 1100000000000000003  # the person talking to Buddy
OTHER_BOT_ID = 1100000000000000004
GUILD_ID = 1100000000000000010
CHANNEL_GENERAL = 1100000000000000011  # Buddy answers only when mentioned
CHANNEL_COUNSEL = 1100000000000000012  # in DISCORD_CHANNEL_IDS: Buddy answers everything
DM_CHANNEL = 1100000000000000013
BOT_ROLE_ID = 1100000000000000014
TIMESTAMP = "2024-05-01T09:30:00.000000+00:00"

_snowflakes = itertools.count(1200000000000000000)


def snowflake() -> str:
    return str(next(_snowflakes))


def user(user_id: int = USER_ID, name: str = "minji", global_name: str | None = "민지",
         bot: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(user_id),
        "username": name,
        "global_name": global_name,
        "discriminator": "0" if not bot else "1234",
        "avatar": None,
        "avatar_decoration_data": None,
        "public_flags": 0,
        "clan": None,
        "primary_guild": None,
    }
    if bot:
        payload["bot"] = True
    return payload


def bot_user() -> dict[str, Any]:
    """GET /users/@me for the bot, and the author of its own messages."""
    return {**user(BOT_ID, "buddy", "버디", bot=True), "verified": True, "mfa_enabled": False,
            "flags": 0, "email": None, "locale": "ko", "bio": "", "banner": None,
            "accent_color": None}


def application() -> dict[str, Any]:
    """GET /oauth2/applications/@me."""
    return {
        "id": str(APP_ID),
        "name": "Buddy",
        "icon": None,
        "description": "한국어 마음 상담 챗봇",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 1 << 19,  # GATEWAY_MESSAGE_CONTENT_LIMITED
        "owner": user(OWNER_ID, "owner", "운영자"),
        "team": None,
        "summary": "",
        "hook": True,
        "integration_types_config": {"0": {}},
        "interactions_endpoint_url": None,
        "redirect_uris": [],
        "approximate_guild_count": 1,
        "bot": bot_user(),
    }


def _member(joined: str = TIMESTAMP, roles: list[str] | None = None) -> dict[str, Any]:
    return {
        "roles": roles or [],
        "premium_since": None,
        "pending": False,
        "nick": None,
        "mute": False,
        "joined_at": joined,
        "flags": 0,
        "deaf": False,
        "communication_disabled_until": None,
        "banner": None,
        "avatar": None,
    }


def _text_channel(channel_id: int, name: str, position: int) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "name": name,
        "position": position,
        "parent_id": None,
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "permission_overwrites": [],
        "flags": 0,
        "guild_id": str(GUILD_ID),
    }


def guild_create() -> dict[str, Any]:
    """GUILD_CREATE for a small server with a general channel and a counseling channel."""
    everyone = str(GUILD_ID)
    return {
        "id": str(GUILD_ID),
        "name": "마음쉼터",
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(OWNER_ID),
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "ko",
        "system_channel_id": str(CHANNEL_GENERAL),
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "features": [],
        "roles": [
            {"id": everyone, "name": "@everyone", "permissions": "2248473465835073",
             "position": 0, "color": 0, "colors": {"primary_color": 0, "secondary_color": None,
                                                  "tertiary_color": None},
             "hoist": False, "managed": False, "mentionable": False, "icon": None,
             "unicode_emoji": None, "flags": 0},
            {"id": str(BOT_ROLE_ID), "name": "Buddy", "permissions": "274877991936",
             "position": 1, "color": 0, "colors": {"primary_color": 0, "secondary_color": None,
                                                  "tertiary_color": None},
             "hoist": False, "managed": True, "mentionable": False, "icon": None,
             "unicode_emoji": None, "flags": 0, "tags": {"bot_id": str(BOT_ID)}},
        ],
        "emojis": [],
        "stickers": [],
        "channels": [
            _text_channel(CHANNEL_GENERAL, "일반", 0),
            _text_channel(CHANNEL_COUNSEL, "상담실", 1),
        ],
        "threads": [],
        "members": [{**_member(roles=[str(BOT_ROLE_ID)]), "user": bot_user()}],
        "member_count": 3,
        "large": False,
        "unavailable": False,
        "joined_at": TIMESTAMP,
        "lazy": True,
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "embedded_activities": [],
        "application_command_counts": {},
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": None,
        "premium_progress_bar_enabled": False,
        "safety_alerts_channel_id": None,
        "incidents_data": None,
        "latest_onboarding_question_id": None,
        "home_header": None,
        "hub_type": None,
        "application_id": None,
        "nsfw": False,
        "version": 1714555800000,
    }


def _message(channel_id: int, content: str, author: dict[str, Any], *,
             guild: bool, mentions: list[dict[str, Any]] | None = None,
             mention_roles: list[str] | None = None,
             attachments: list[dict[str, Any]] | None = None,
             sticker_items: list[dict[str, Any]] | None = None,
             message_type: int = 0) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": message_type,
        "tts": False,
        "timestamp": TIMESTAMP,
        "pinned": False,
        "nonce": snowflake(),
        "mentions": mentions or [],
        "mention_roles": mention_roles or [],
        "mention_everyone": False,
        "id": snowflake(),
        "flags": 0,
        "embeds": [],
        "edited_timestamp": None,
        "content": content,
        "components": [],
        "channel_id": str(channel_id),
        "author": author,
        "attachments": attachments or [],
        "channel_type": 0 if guild else 1,
    }
    if sticker_items:
        payload["sticker_items"] = sticker_items
    if guild:
        payload["guild_id"] = str(GUILD_ID)
        payload["member"] = _member()
    return payload


def dm(content: str, **extra: Any) -> dict[str, Any]:
    """MESSAGE_CREATE of a direct message from the user to Buddy."""
    return _message(DM_CHANNEL, content, user(), guild=False, **extra)


def guild_message(content: str, channel_id: int = CHANNEL_GENERAL,
                  author: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """MESSAGE_CREATE in a server channel."""
    return _message(channel_id, content, author or user(), guild=True, **extra)


def mention(text: str, channel_id: int = CHANNEL_GENERAL, nick_form: bool = False) -> dict[str, Any]:
    """MESSAGE_CREATE that @mentions Buddy (``<@id>``, or ``<@!id>`` as older clients send)."""
    tag = f"<@!{BOT_ID}>" if nick_form else f"<@{BOT_ID}>"
    bot_mention = {**user(BOT_ID, "buddy", "버디", bot=True),
                   "member": _member(roles=[str(BOT_ROLE_ID)])}
    return guild_message(f"{tag} {text}", channel_id, mentions=[bot_mention])


def role_mention(text: str) -> dict[str, Any]:
    """MESSAGE_CREATE mentioning Buddy's managed role, as the member list's role pill does."""
    return guild_message(f"<@&{BOT_ROLE_ID}> {text}", mention_roles=[str(BOT_ROLE_ID)])


def photo_attachment() -> dict[str, Any]:
    return {
        "id": snowflake(), "filename": "sky.jpg", "size": 48213,
        "url": "https://cdn.discordapp.com/attachments/1/2/sky.jpg",
        "proxy_url": "https://media.discordapp.net/attachments/1/2/sky.jpg",
        "width": 1024, "height": 768, "content_type": "image/jpeg",
        "content_scan_version": 0, "placeholder": "", "placeholder_version": 1,
    }


def sticker_item() -> dict[str, Any]:
    return {"id": "749054660769218631", "name": "Wave", "format_type": 3}


def sent_message(channel_id: int, body: dict[str, Any], guild_id: int | None) -> dict[str, Any]:
    """What Discord answers to POST /channels/{id}/messages: the created message."""
    payload = _message(channel_id, body.get("content") or "", bot_user(),
                       guild=guild_id is not None)
    if "message_reference" in body:
        payload["type"] = 19
        payload["message_reference"] = {**body["message_reference"], "type": 0}
    payload["flags"] = body.get("flags", 0)
    payload["components"] = body.get("components", [])
    return payload


# --- interactions -----------------------------------------------------------------------------
def _interaction_base(*, in_guild: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "version": 1,
        "id": snowflake(),
        "application_id": str(APP_ID),
        "token": "aW50ZXJhY3Rpb246" + snowflake(),
        "locale": "ko",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "app_permissions": "2248473465835073",
        "attachment_size_limit": 10485760,
        "authorizing_integration_owners": {"0": str(GUILD_ID)} if in_guild else {"1": str(USER_ID)},
        "context": 0 if in_guild else 1,
    }
    if in_guild:
        channel = _text_channel(CHANNEL_GENERAL, "일반", 0)
        channel["permissions"] = "2248473465835073"
        payload.update(
            guild_id=str(GUILD_ID),
            guild={"id": str(GUILD_ID), "locale": "ko", "features": []},
            guild_locale="ko",
            channel_id=str(CHANNEL_GENERAL),
            channel=channel,
            member={**_member(), "user": user(), "permissions": "2248473465835073"},
        )
    else:
        payload.update(
            channel_id=str(DM_CHANNEL),
            channel={"id": str(DM_CHANNEL), "type": 1, "last_message_id": None, "flags": 0,
                     "recipients": [user()]},
            user=user(),
        )
    return payload


def slash_command(name: str, options: dict[str, str] | None = None, *,
                  in_guild: bool = True) -> dict[str, Any]:
    """INTERACTION_CREATE for ``/name option:value`` typed by the user."""
    payload = _interaction_base(in_guild=in_guild)
    data: dict[str, Any] = {"type": 1, "name": name, "id": snowflake()}
    if options:
        data["options"] = [{"type": 3, "name": k, "value": v} for k, v in options.items()]
    if in_guild:
        data["guild_id"] = None  # a global command
    payload.update(type=2, data=data)
    return payload


def button_press(custom_id: str, message: dict[str, Any], *, in_guild: bool = True,
                 presser: dict[str, Any] | None = None) -> dict[str, Any]:
    """INTERACTION_CREATE for a click on a button of ``message`` (an ephemeral reply)."""
    payload = _interaction_base(in_guild=in_guild)
    if presser is not None:
        if in_guild:
            payload["member"] = {**payload["member"], "user": presser}
        else:
            payload["user"] = presser
    payload.update(type=3, message=message,
                   data={"custom_id": custom_id, "component_type": 2})
    return payload
