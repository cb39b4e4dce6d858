"""The web chat page and the JSON API (FastAPI), sharing the bot's event loop.

Routes: ``GET /`` (the chat page), ``POST /api/chat``, ``POST /api/reset``,
``POST /api/forget``, ``GET /healthz`` and the OpenAPI schema at ``/openapi.json``.
Swagger's ``/docs`` is off because FastAPI loads it from a CDN and this app never
depends on one. A web user is the random session id the browser keeps in localStorage;
the core turns it into a pseudonymous key at once.

Body sizes are checked by :class:`BodyLimit` before FastAPI parses anything, so a
multi-megabyte body costs a 413 and no memory.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.requests import Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web import texts
from core import replies
from core.config import Settings
from core.errors import StorageError
from core.limits import MAX_BODY_BYTES, MAX_TEXT_CHARS
from core.messages import IncomingMessage
from core.pipeline import Buddy
from core.stopping import refusal

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
# MAX_TEXT_CHARS and MAX_BODY_BYTES come from core.limits: 20,000 Korean characters sent as
# \uXXXX escapes (Python's json.dumps default) take 120,000 bytes; 128 KiB lets every valid
# request through and stops anything far larger. The crisis check reads all 20,000.
DRAIN_BYTES = 1024 * 1024  # read at most this much of a refused chunked body
MAX_SESSION_CHARS = 128

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


# --- request and response shapes -------------------------------------------------------
class SessionField(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session: str = Field(
        min_length=1,
        max_length=MAX_SESSION_CHARS,
        pattern=r"^[\x21-\x7e]+$",
        description="The browser's random conversation id (printable ASCII, no spaces). "
        "Never an account name: it is pseudonymised before anything is stored.",
        examples=["3f2b9c1e-5a7d-4e8f-9b0a-1c2d3e4f5a6b"],
    )


class ChatRequest(SessionField):
    text: str = Field(
        max_length=MAX_TEXT_CHARS,
        description="What the user wrote. Empty or emoji-only text gets a gentle invitation "
        "to say more, not an error.",
        examples=["요즘 잠을 잘 못 자요"],
    )


class ChatResponse(BaseModel):
    answer: str = Field(description="Buddy's reply, plain text (render it as text, not HTML).")
    category: str | None = Field(description="The predicted category, when one was used.")
    confidence: float | None = Field(description="Classifier confidence for the category.")
    crisis: bool = Field(description="True for the crisis reply with hotlines: show it apart.")
    risk_level: str = Field(
        description="The safety check's level: none, distress, passive, ideation, method, "
        "plan or imminent (crisis is passive and above; imminent leads with 119 / 112)."
    )
    kind: str = Field(description="answer, follow_up, about_buddy, fallback, crisis, "
                                  "safety_followup, greeting, farewell, ...")
    conversation_id: str | None = Field(description="Changes when a new conversation starts.")


class HealthResponse(BaseModel):
    status: str = Field(description='"ok"; "degraded" while the conversation log cannot be '
                        'written, or "stopping" while shutting down (both HTTP 503).')
    model_id: str
    log_backlog: int = Field(description="Turns waiting to be written to the log.")
    log_problem: str | None = Field(
        None, description="Why the log cannot be written (when degraded): what to fix.")
    accepting: bool
    in_flight: int = Field(description="Messages being answered right now.")


class ResetResponse(BaseModel):
    message: str


class ForgetResponse(BaseModel):
    message: str
    deleted: int = Field(description="How many stored messages were deleted.")


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[str] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse,
          "description": "The body is not valid JSON (bad_json) or not UTF-8 (bad_encoding)."},
    413: {"model": ErrorResponse, "description": "The body is over 128 KiB."},
    422: {"model": ErrorResponse, "description": "A field is missing or out of range."},
    503: {"model": ErrorResponse, "description": "Buddy is shutting down; retry shortly."},
}


def _error(status: int, code: str, message: str, fields: Sequence[str] = (),
           headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message, fields=list(fields)))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


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
                response = _error(408, "body_timeout", texts.BODY_TIMEOUT,
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
            await _error(400, "bad_encoding", texts.BAD_ENCODING)(scope, receive, send)
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
        response = _error(413, "body_too_large",
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


# --- error handlers ----------------------------------------------------------------------
def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


async def _on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """400 for a body that is not JSON, 422 naming each bad field; never echoes the input."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return _error(400, "bad_json", texts.BAD_JSON)
    ko: list[str] = []
    en: list[str] = []
    fields: list[str] = []
    for e in errors:
        field = _field_name(e.get("loc", ()))
        limit = (e.get("ctx") or {}).get("max_length") or (e.get("ctx") or {}).get("min_length")
        k, g = texts.FIELD_PROBLEMS.get(e.get("type", ""), texts.FIELD_PROBLEM_DEFAULT)
        ko.append(k.format(field=field, limit=limit or 0))
        en.append(g.format(field=field, limit=limit or 0))
        fields.append(field)
    message = texts.INVALID_FIELDS.format(problems=", ".join(ko), problems_en="; ".join(en))
    return _error(422, "invalid_request", message, fields)


async def _on_http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404:
        return _error(404, "not_found", texts.NOT_FOUND)
    if exc.status_code == 405:
        return _error(405, "method_not_allowed", texts.METHOD_NOT_ALLOWED)
    if exc.status_code == 400:
        return _error(400, "bad_request", texts.BAD_REQUEST)
    return _error(exc.status_code, "http_error", str(exc.detail))


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("web request failed: %s", type(exc).__name__, exc_info=exc)
    return _error(500, "internal", texts.INTERNAL)


def _unavailable() -> JSONResponse:
    return _error(503, "not_accepting", texts.NOT_ACCEPTING, headers={"retry-after": "30"})


# --- the app -------------------------------------------------------------------------------
def _api_router(buddy: Buddy) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["chat"])

    @router.post("/chat", response_model=ChatResponse, responses=_ERRORS)
    async def chat(body: ChatRequest) -> ChatResponse | JSONResponse:
        """Answer one message of the given browser session."""
        if not buddy.accepting:
            refused = refusal(body.text)
            if not refused.crisis:
                return _unavailable()
            log.info("web crisis message during shutdown; crisis reply sent unlogged")
            return ChatResponse(answer=refused.text, category=None, confidence=None,
                                crisis=True, risk_level=refused.risk_level, kind="crisis",
                                conversation_id=None)
        reply = await buddy.handle(
            IncomingMessage(platform="web", user_id=body.session, text=body.text,
                            message_id=str(uuid.uuid4()))
        )
        log.debug("web reply kind=%s crisis=%s", reply.kind.value, reply.crisis)
        return ChatResponse(
            answer=reply.text,
            category=reply.category,
            confidence=reply.confidence,
            crisis=reply.crisis,
            risk_level=reply.risk_level,
            kind=reply.kind.value,
            conversation_id=reply.conversation_id,
        )

    @router.post("/reset", response_model=ResetResponse, responses=_ERRORS)
    async def reset(body: SessionField) -> ResetResponse | JSONResponse:
        """Start a new conversation for this session (the page's "새 대화" button)."""
        if not buddy.accepting:
            return _unavailable()
        return ResetResponse(message=buddy.reset("web", body.session))

    @router.post("/forget", response_model=ForgetResponse, responses=_ERRORS)
    async def forget(body: SessionField) -> ForgetResponse | JSONResponse:
        """Delete everything stored for this session (the page's "기록 삭제" button)."""
        if not buddy.accepting:
            return _unavailable()
        try:
            deleted = await buddy.forget("web", body.session)
        except StorageError:
            return _error(503, "log_unavailable", texts.FORGET_FAILED,
                          headers={"retry-after": "30"})
        log.info("web session forgotten (%d messages deleted)", deleted)
        return ForgetResponse(message=replies.FORGOTTEN, deleted=deleted)

    return router


def create_app(
    buddy: Buddy, settings: Settings, *, extra_routers: Sequence[APIRouter] = ()
) -> FastAPI:
    """The web chat and API around ``buddy``; ``extra_routers`` (e.g. /admin) are mounted too.

    The app neither opens nor closes ``buddy``: ``bot.serve`` owns its lifecycle, so the
    web, Telegram and Discord adapters share one core and one event loop. Routers find
    the core and settings on ``request.app.state.buddy`` / ``.settings``.
    """
    app = FastAPI(
        title="Buddy (버디) API",
        version="1",
        description="A Korean counseling chatbot. Not a substitute for professional help: "
        "in Korea call 109 (suicide prevention) or 119 in an emergency.",
        docs_url=None,  # Swagger UI would load from a CDN; the schema stays at /openapi.json
        redoc_url=None,
    )
    app.state.buddy = buddy
    app.state.settings = settings
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(SecurityHeaders)

    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"cache-control": "no-cache"})

    @app.get("/healthz", response_model=HealthResponse, tags=["ops"],
             responses={503: {"model": HealthResponse, "description": "Shutting down."}})
    async def healthz() -> JSONResponse:
        """For probes: 200 while answering and logging; 503 while stopping, or "degraded"
        while the conversation log cannot be written (replies still go out)."""
        writer = buddy.writer
        status, problem = writer.health if writer is not None else ("ok", None)
        body = HealthResponse(
            status=status if buddy.accepting else "stopping",
            model_id=buddy.classifier.model_id,
            log_backlog=writer.backlog if writer is not None else 0,
            log_problem=problem,
            accepting=buddy.accepting,
            in_flight=buddy.in_flight,
        )
        code = 200 if body.status == "ok" else 503
        return JSONResponse(body.model_dump(), status_code=code)

    app.include_router(_api_router(buddy))
    for router in extra_routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
