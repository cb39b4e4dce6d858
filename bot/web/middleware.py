"""The web app's outer layers: body limits before parsing, security headers on every answer.

Body sizes are checked by :class:`BodyLimit` before FastAPI parses anything, so a
multi-megabyte body costs a 413 and no memory; a body trickled too slowly costs a 408.
Errors are answered in the API's one error shape (:func:`error_response`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import texts
from core.limits import MAX_BODY_BYTES

log = logging.getLogger(__name__)

# MAX_BODY_BYTES comes from core.limits: 20,000 Korean characters sent as \uXXXX escapes
# (Python's json.dumps default) take 120,000 bytes; 128 KiB lets every valid request
# through and stops anything far larger.
DRAIN_BYTES = 1024 * 1024  # read at most this much of a refused chunked body


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[str] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorDetail


def error_response(status: int, code: str, message: str, fields: Sequence[str] = (),
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The API's one error shape: a code for programs, a message that says what to do."""
    body = ErrorResponse(error=ErrorDetail(code=code, message=message, fields=list(fields)))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


# The page loads nothing from elsewhere; this makes injected markup inert even if a bug
# ever put user text into innerHTML (no inline scripts, no event-handler attributes).
_SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]



# --- middleware ------------------------------------------------------------------------
BODY_TIMEOUT_S = 30.0  # a body trickled slower than this is refused (slow-client defence)


class BodyLimit:
    """Answers 413 for bodies over ``limit`` bytes before the app reads or parses them.

    A declared Content-Length is checked first; a chunked body is counted as it arrives
    and buffered (at most ``limit`` bytes), then replayed to the app. A body that stalls
    for ``body_timeout`` seconds between pieces is answered 408 (slow-client defence).
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES,
                 body_timeout: float = BODY_TIMEOUT_S) -> None:
        self.app = app
        self.limit = limit
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.limit
            except ValueError:
                too_big = False  # the server rejects a malformed length itself
            if too_big:
                await self._reject(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except asyncio.TimeoutError:
                log.info("web request body not finished within %.0fs; refused",
                         self.body_timeout)
                response = error_response(408, "body_timeout", texts.BODY_TIMEOUT,
                                  headers={"connection": "close"})
                await response(scope, receive, send)
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                if message.get("more_body", False):
                    await self._drain(receive)
                await self._reject(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _is_json(scope) and not _utf8(body):
            log.info("web request body is not UTF-8; refused")
            await error_response(400, "bad_encoding", texts.BAD_ENCODING)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _drain(self, receive: Receive) -> None:
        """Read (and drop) the rest of a chunked body, so the client sees the 413 instead of a
        reset connection; a sender that keeps going past ``DRAIN_BYTES`` is cut off."""
        drained = 0
        while drained < DRAIN_BYTES:
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                return
            drained += len(message.get("body", b""))

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        log.info("web request body over %d bytes refused", self.limit)
        response = error_response(413, "body_too_large",
                          texts.BODY_TOO_LARGE.format(limit_kib=self.limit // 1024),
                          headers={"connection": "close"})
        await response(scope, receive, send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";")[0].strip().lower() == b"application/json"
    return False


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class SecurityHeaders:
    """Adds the content security policy and friends to every response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                # a route that sets its own (the stricter /admin policy) keeps it: each once
                message["headers"] = headers + [h for h in _SECURITY_HEADERS
                                                if h[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)
