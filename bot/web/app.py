"""The web chat page and the JSON API (FastAPI), sharing the bot's event loop.

Routes: ``GET /`` (the chat page), ``POST /api/chat``, ``POST /api/reset``,
``POST /api/forget``, ``GET /api/events`` (messages pushed to an open page, see
:mod:`bot.web.outbox`), ``GET /healthz`` and the OpenAPI schema at ``/openapi.json``.
Swagger's ``/docs`` is off because FastAPI loads it from a CDN and this app never
depends on one. A web user is the random session id the browser keeps in localStorage;
the core turns it into a pseudonymous key at once. Messages go through the shared
:class:`~bot.gate.Gate` like every platform's (one at a time per session, shutdown
refusals with the crisis check). Body limits and headers: :mod:`bot.web.middleware`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Query
from fastapi.exceptions import RequestValidationError
from fastapi.requests import Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute

from bot import texts
from bot.gate import Gate
from bot.web.middleware import (  # noqa: F401  (BodyLimit: part of this module's surface)
    MAX_BODY_BYTES,
    BodyLimit,
    ErrorResponse,
    SecurityHeaders,
    error_response,
)
from bot.web.outbox import Outbox
from bot.web.page import STATIC_DIR, render_page
from core import replies
from core.errors import StorageError
from core.limits import MAX_TEXT_CHARS
from core.messages import IncomingMessage

if TYPE_CHECKING:
    from core.config import Settings
    from core.pipeline import Buddy

log = logging.getLogger(__name__)

# MAX_TEXT_CHARS comes from core.limits; the crisis check reads all 20,000 characters.
MAX_SESSION_CHARS = 128
SESSION_PATTERN = r"^[\x21-\x7e]+$"

# --- request and response shapes -------------------------------------------------------
class SessionField(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session: str = Field(
        min_length=1,
        max_length=MAX_SESSION_CHARS,
        pattern=SESSION_PATTERN,
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
        "plan or imminent (crisis is passive and above; imminent leads with the emergency numbers)."
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


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse,
          "description": "The body is not valid JSON (bad_json) or not UTF-8 (bad_encoding)."},
    413: {"model": ErrorResponse, "description": "The body is over 128 KiB."},
    422: {"model": ErrorResponse, "description": "A field is missing or out of range."},
    503: {"model": ErrorResponse, "description": "Buddy is shutting down; retry shortly."},
}


# --- error handlers ----------------------------------------------------------------------
def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


async def _on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """400 for a body that is not JSON, 422 naming each bad field; never echoes the input."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "bad_json", texts.BAD_JSON)
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
    return error_response(422, "invalid_request", message, fields)


async def _on_http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404:
        return error_response(404, "not_found", texts.NOT_FOUND)
    if exc.status_code == 405:
        return error_response(405, "method_not_allowed", texts.METHOD_NOT_ALLOWED)
    if exc.status_code == 400:
        return error_response(400, "bad_request", texts.BAD_REQUEST)
    return error_response(exc.status_code, "http_error", str(exc.detail))


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("web request failed: %s", type(exc).__name__, exc_info=exc)
    return error_response(500, "internal", texts.INTERNAL)


def _unavailable() -> JSONResponse:
    return error_response(503, "not_accepting", texts.NOT_ACCEPTING, headers={"retry-after": "30"})


# --- the API -----------------------------------------------------------------------------
def _api_router(buddy: Buddy, outbox: Outbox) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["chat"])
    gate = Gate(buddy, "web")

    @router.post("/chat", response_model=ChatResponse, responses=_ERRORS)
    async def chat(body: ChatRequest) -> ChatResponse | JSONResponse:
        """Answer one message of the given browser session (one at a time per session)."""
        outbox.know(body.session)
        async with gate.in_order(body.session):
            if gate.accepting:
                reply = await gate.answer(IncomingMessage(
                    platform="web", user_id=body.session, text=body.text,
                    message_id=str(uuid.uuid4()), address=body.session))
            else:  # shutting down: a crisis still gets the crisis reply, the rest a 503
                reply = gate.refuse(body.text)
                if not reply.crisis:
                    return _unavailable()
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

    @router.get("/events", response_class=StreamingResponse, responses={
        200: {"content": {"text/event-stream": {}},
              "description": "Server-Sent Events, one JSON {text, sender?} per message."}})
    async def events(session: str = Query(min_length=1, max_length=MAX_SESSION_CHARS,
                                          pattern=SESSION_PATTERN)) -> StreamingResponse:
        """Messages for this session's open page that were not replies (a counsellor's)."""
        return StreamingResponse(outbox.follow(session), media_type="text/event-stream",
                                 headers={"cache-control": "no-store"})

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
            async with gate.in_order(body.session):  # never overtakes a message in flight
                deleted = await buddy.forget("web", body.session)
        except StorageError:
            return error_response(503, "log_unavailable", texts.WEB_FORGET_FAILED,
                                  headers={"retry-after": "30"})
        log.info("web session forgotten (%d messages deleted)", deleted)
        return ForgetResponse(message=replies.FORGOTTEN, deleted=deleted)

    return router


# --- the app -------------------------------------------------------------------------------
def create_app(
    buddy: Buddy, settings: Settings, *, extra_routers: Sequence[APIRouter] = (),
    routes: Sequence[BaseRoute] = (), outbox: Outbox | None = None,
) -> FastAPI:
    """The web chat and API around ``buddy``; ``extra_routers`` (e.g. /admin) are mounted
    too, and ``routes`` other channels contribute (Telegram's webhook) before all others.

    The app neither opens nor closes ``buddy``: ``bot.serve`` owns its lifecycle, so the
    web, Telegram and Discord channels share one core and one event loop. Routers find
    the core and settings on ``request.app.state.buddy`` / ``.settings``; the push outbox
    is ``app.state.outbox``.
    """
    app = FastAPI(
        title="Buddy (버디) API",
        version="1",
        description=texts.API_DESCRIPTION,
        docs_url=None,  # Swagger UI would load from a CDN; the schema stays at /openapi.json
        redoc_url=None,
    )
    app.state.buddy = buddy
    app.state.settings = settings
    app.state.outbox = outbox = outbox if outbox is not None else Outbox()
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(SecurityHeaders)
    app.router.routes.extend(routes)  # before the app's own: none can shadow them

    page = render_page()

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

    app.include_router(_api_router(buddy, outbox))
    for router in extra_routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
