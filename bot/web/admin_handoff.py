"""The handoff desk in ``/admin``: take a conversation, write to the user, hand it back,
and watch it live (issue 16; docs/HANDOFF.md).

The review pages (:mod:`bot.web.admin`) ask :class:`HandoffDesk` for the panel of a
transcript, the state beside each crisis message and the list of users waiting for a
person; the routes here do the actions through :class:`core.handoff.service.HandoffService`
(which audits each with the operator's name). Every POST is a signed-in operator's form
with its CSRF token (:class:`bot.web.admin_guard.Guard`), answered by a redirect back to
the conversation, or by a page that says plainly why not ("이미 다른 상담사(이름)가
맡았습니다").

The live view is Server-Sent Events fed by the service's in-process
:class:`~core.handoff.live.LiveFeed`: only for a signed-in operator, a keep-alive every
:data:`KEEPALIVE_S`, and it ends when the operator logs out (checked at each wake) or the
server shuts down (``LiveFeed.close``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web import admin_handoff_views as hv
from bot.web import admin_views as v
from bot.web.admin_auth import safe_next
from bot.web.admin_guard import OPERATOR, Guard
from bot.web.admin_html import Html
from core.handoff.live import LiveEvent
from core.handoff.service import HandoffService
from core.handoff.states import HandoffError
from core.storage import handoff as store

log = logging.getLogger(__name__)

KEEPALIVE_S = 15.0


class HandoffDesk:
    """What the review pages show of handoffs; ``service`` None when the log is off."""

    def __init__(self, service: HandoffService | None, clock: v.Clock) -> None:
        self.service = service
        self.clock = clock

    @property
    def on(self) -> bool:
        return self.service is not None and self.service.enabled

    def off_reason(self) -> str:
        if self.service is None:
            return "Handoff: off (no conversation log)"
        return self.service.status()

    async def panel(self, s: AsyncSession, conversation_id: str, csrf: str) -> Html:
        """The transcript's handoff section: state, the operator's buttons, the live view."""
        if not self.on:
            return hv.off_panel(self.off_reason())
        rows = await store.handoffs_of_conversations(s, [conversation_id])
        return hv.panel(conversation_id, rows.get(conversation_id), OPERATOR.get(), csrf,
                        self.clock)

    async def queue_cells(self, s: AsyncSession, conversation_ids: list[str],
                          csrf: str) -> dict[str, Html]:
        """The handoff cell of each crisis-queue row (empty when handoff is off)."""
        if not self.on:
            return {}
        rows = await store.handoffs_of_conversations(s, conversation_ids)
        return {c: hv.queue_cell(c, rows.get(c), OPERATOR.get(), csrf, self.clock)
                for c in conversation_ids}

    async def queued(self, s: AsyncSession, csrf: str) -> Html:
        """Users waiting for a person, for the crisis-queue page."""
        if not self.on:
            return hv.off_panel(self.off_reason())
        return hv.queued_list(await store.queued_handoffs(s), OPERATOR.get(), csrf, self.clock)

    def line(self, event: LiveEvent) -> str:
        """One live event as an SSE ``data:`` line (the time in the operators' zone)."""
        data = {"role": event.role, "text": event.text, "at": self.clock.time(event.at),
                "crisis": event.crisis}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_handoff_router(guard: Guard, desk: HandoffDesk, *,
                          keepalive_s: float = KEEPALIVE_S) -> APIRouter:
    """The desk's routes under ``/admin/conversations/{id}/``."""
    router = APIRouter(prefix="/conversations", include_in_schema=False)  # inside /admin

    async def act(request: Request, conversation_id: str, action: str) -> Response:
        form, refused = await guard.checked_form(request)
        if refused is not None:
            return refused
        assert form is not None
        if desk.service is None or not desk.on:
            return v.page("상담사 연결 꺼짐 Handoff off", hv.error_body(
                desk.off_reason(), conversation_id), csrf=form.get("csrf"), status=503)
        operator = OPERATOR.get()
        try:
            if action == "take":
                await desk.service.take(operator, conversation_id)
            elif action == "send":
                await desk.service.send(operator, conversation_id, form.get("text", ""))
            else:
                await desk.service.hand_back(operator, conversation_id)
        except HandoffError as exc:
            log.info("handoff %s refused for %s", action, operator)
            return v.page("할 수 없었습니다 Not done", hv.error_body(str(exc), conversation_id),
                          csrf=form.get("csrf"), status=409)
        target = safe_next(form.get("next") or hv.conversation_url(conversation_id))
        return RedirectResponse(f"{target}#handoff", status_code=303, headers=v.HEADERS)

    @router.post("/{conversation_id}/take")
    async def take(request: Request, conversation_id: str) -> Response:
        return await act(request, conversation_id, "take")

    @router.post("/{conversation_id}/send")
    async def send(request: Request, conversation_id: str) -> Response:
        return await act(request, conversation_id, "send")

    @router.post("/{conversation_id}/hand-back")
    async def hand_back(request: Request, conversation_id: str) -> Response:
        return await act(request, conversation_id, "hand_back")

    @router.get("/{conversation_id}/live")
    async def live(request: Request, conversation_id: str) -> Response:
        cookie = await guard.cookie(request)
        if cookie is None:
            return Response(status_code=401, headers=v.HEADERS)
        if desk.service is None or not desk.on:
            return Response(status_code=404, headers=v.HEADERS)
        await guard.audit("view_live", target=conversation_id)
        feed = desk.service.feed

        async def stream() -> AsyncIterator[str]:
            async with feed.subscribe(conversation_id) as view:
                yield "retry: 3000\nevent: ready\ndata: {}\n\n"
                while True:
                    event = await view.next(keepalive_s)
                    if (event is not None and event.role == "end") or \
                            not await guard.signed_in(cookie):
                        yield "event: end\ndata: {}\n\n"  # shutdown or logout: stop here
                        return
                    yield ": keep-alive\n\n" if event is None else desk.line(event)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={**v.HEADERS, "cache-control": "no-store"})

    return router
