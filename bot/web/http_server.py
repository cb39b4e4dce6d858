"""How the web server itself is configured: proxies believed, slow clients dropped.

Two defences live below the app, in uvicorn:

- **Proxies.** uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 by default, so anyone on
  the machine (or a local proxy passing the header through) could pick their own client
  address, e.g. rotate it to escape the admin login lockout. Here forwarded headers are
  believed only from the proxies named in ``TRUSTED_PROXIES``, and by default from none.
- **Slow clients.** uvicorn waits forever for a request's headers (its keep-alive timeout
  only runs *between* requests), so a client that opens connections and never finishes a
  request holds them open. :class:`HeaderDeadlineProtocol` closes a connection whose request
  headers have not fully arrived within :data:`HEADER_TIMEOUT_S`; a header block still
  unfinished past :data:`MAX_HEADER_BYTES` is answered 400 by h11. Bodies get their own deadline in
  :class:`bot.web.app.BodyLimit`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from core.config import Settings

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 10.0
MAX_HEADER_BYTES = 16 * 1024
KEEP_ALIVE_S = 5


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, plus a deadline for each request's headers."""

    header_timeout_s = HEADER_TIMEOUT_S
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # a request begun but its headers incomplete
            self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        idle = self.cycle is None or self.cycle.response_complete
        if idle and self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.info("closed a connection whose request headers took over %.0fs",
                     self.header_timeout_s)
            self.transport.close()


def server_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration ``buddy serve`` runs the web app with (tests use it too)."""
    trusted = settings.trusted_proxy_list
    options: dict[str, Any] = dict(
        log_level="warning", timeout_graceful_shutdown=3, access_log=False,
        server_header=False, http=HeaderDeadlineProtocol, timeout_keep_alive=KEEP_ALIVE_S,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None,
    )
    options.update(overrides)
    return uvicorn.Config(app, **options)
