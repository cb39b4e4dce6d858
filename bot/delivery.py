"""How a person's message reaches a user on their own platform: the handoff's ``deliver``.

``buddy serve`` builds one :class:`ChannelDelivery`, hands it to the handoff service
(``buddy.handoff.deliver``) and adds each channel that started. The service calls it with
the platform recorded when the user last wrote and the address it kept sealed; this picks
that platform's :meth:`bot.channel.Channel.send_text`. A platform that is not running in
this process (no token, failed to start, shutting down) is a
:class:`~bot.channel.DeliveryError` whose message the service shows the operator, so the
operator knows why the message did not go out instead of believing it did.
"""

from __future__ import annotations

from bot.channel import Channel, DeliveryError

_NAMES = {"telegram": "텔레그램 Telegram", "discord": "디스코드 Discord", "web": "웹 채팅 web chat"}


class ChannelDelivery:
    """``deliver(platform, address, text, sender)`` over the channels that are running."""

    def __init__(self, channels: list[Channel] | None = None) -> None:
        self._running: dict[str, Channel] = {}
        for channel in channels or ():
            self.add(channel)

    def add(self, channel: Channel) -> None:
        """A channel that started: messages for its platform go through it."""
        self._running[channel.name] = channel

    def close(self) -> None:
        """Shutdown began: nothing more is sent (the operator is told so)."""
        self._running.clear()

    @property
    def platforms(self) -> list[str]:
        return sorted(self._running)

    async def __call__(self, platform: str, address: str, text: str,
                       sender: str | None = None) -> None:
        channel = self._running.get(platform)
        if channel is None:
            name = _NAMES.get(platform, platform)
            raise DeliveryError(
                f"{name} 채널이 지금 켜져 있지 않습니다 (토큰이 없거나 시작하지 못했거나 종료 "
                f"중). The {platform} channel is not running in this buddy serve; check its "
                "token and the start-up summary.")
        await channel.send_text(address, text, sender)
