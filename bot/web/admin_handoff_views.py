"""HTML of the handoff desk in ``/admin``: the panel on a transcript, the Take button in the
crisis queue, the list of users waiting for a person, and the live view's script.

What an operator can do depends on who holds the conversation: anyone may **Take** one no
one holds; the holder gets a text box, **Send** and **Hand back**; everyone else sees the
holder's name and no buttons. Stable element ids (``#handoff-take``, ``#handoff-text``,
``#handoff-send``, ``#handoff-hand-back``, ``#handoff-live``) are what the tests and the
documentation's screenshots use. Everything users wrote is escaped by ``tpl``; the script
puts live lines in with ``textContent`` only.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.web.admin_auth import PREFIX
from bot.web.admin_html import Html, join, tpl
from bot.web.admin_views import Clock
from core.handoff.states import HandoffState, HandoffView

MAX_OPERATOR_TEXT = 4000  # one message; the form limit (16 KiB) holds it in any script


def conversation_url(conversation_id: str) -> str:
    return f"{PREFIX}/conversations/{conversation_id}"


def _form(action: str, csrf: str, next_url: str, inner: Html, cls: str = "inline") -> Html:
    return tpl(
        '<form class="{cls}" method="post" action="{action}"><input type="hidden" name="csrf" '
        'value="{csrf}"><input type="hidden" name="next" value="{next}">{inner}</form>',
        cls=cls, action=action, csrf=csrf, next=next_url, inner=inner)


def state_line(row: HandoffView | None, me: str, clock: Clock) -> Html:
    """Where the conversation stands, in one line (a badge and the time)."""
    state = row.state if row is not None else HandoffState.NONE
    if state is HandoffState.HELD and row is not None:
        who = "내가 맡고 있음 You hold it" if row.operator == me else \
            f"{row.operator} 상담사가 맡고 있음 Held by {row.operator}"
        return tpl('<span class="badge held">{who}</span> <span class="muted">{since}</span>',
                   who=who, since=f"since {clock.when(row.taken_at)}")
    if state is HandoffState.QUEUED and row is not None:
        return tpl('<span class="badge new">사람 연결 요청 asked for a person</span> '
                   '<span class="muted">{since}</span>',
                   since=f"since {clock.when(row.requested_at)}")
    return Html('<span class="badge ok">버디가 답하는 중 Buddy answers</span>')


def take_button(conversation_id: str, csrf: str, next_url: str, *, ids: bool) -> Html:
    """The Take form; ``ids`` only where it appears once on the page (a transcript)."""
    button = Html('<button type="submit" id="handoff-take" class="warn">맡기 Take</button>'
                  if ids else '<button type="submit" class="warn handoff-take">맡기 Take</button>')
    return _form(f"{conversation_url(conversation_id)}/take", csrf, next_url, button)


def panel(conversation_id: str, row: HandoffView | None, me: str, csrf: str,
          clock: Clock) -> Html:
    """The handoff section of a transcript page, with the live view."""
    here = conversation_url(conversation_id)
    state = row.state if row is not None else HandoffState.NONE
    if state is HandoffState.HELD and row is not None and row.operator == me:
        actions = join([
            _form(f"{here}/send", csrf, here, tpl(
                '<label for="handoff-text">사용자에게 보낼 메시지 Message to the user</label>'
                '<textarea id="handoff-text" name="text" rows="3" maxlength="{n}" required>'
                '</textarea><button type="submit" id="handoff-send">보내기 Send</button>',
                n=MAX_OPERATOR_TEXT), cls="handoff-send"),
            _form(f"{here}/hand-back", csrf, here, Html(
                '<button type="submit" id="handoff-hand-back" class="secondary">'
                "버디에게 돌려주기 Hand back</button>")),
        ])
    elif state is HandoffState.HELD:
        actions = Html("")  # someone else holds it: their name is in the state line
    else:
        actions = take_button(conversation_id, csrf, here, ids=True)
    return tpl(
        '<section id="handoff" class="handoff"><h2>상담사 연결 Handoff</h2><p>{state}</p>'
        "{actions}<h3>실시간 Live</h3>"
        '<p class="muted">새 메시지가 새로고침 없이 여기 나타납니다. New messages of this '
        "conversation appear here as they happen.</p>"
        '<ol id="handoff-live" class="live" data-src="{src}" data-state="connecting" '
        'aria-live="polite"></ol></section>',
        state=state_line(row, me, clock), actions=actions, src=f"{here}/live")


def off_panel(reason: str) -> Html:
    """Handoff is off: say why and what to set, instead of buttons that cannot work."""
    return tpl('<section id="handoff" class="handoff"><h2>상담사 연결 Handoff</h2>'
               '<p class="muted">{reason}</p></section>', reason=reason)


def queue_cell(conversation_id: str, row: HandoffView | None, me: str, csrf: str,
               clock: Clock) -> Html:
    """A crisis-queue row's handoff state, with Take when no one holds it."""
    line = state_line(row, me, clock)
    if row is not None and row.state is HandoffState.HELD:
        return line
    return join([line, take_button(conversation_id, csrf, conversation_url(conversation_id),
                                   ids=False)])


def queued_list(rows: Sequence[HandoffView], me: str, csrf: str, clock: Clock) -> Html:
    """Users who asked for a person, who asked first first."""
    items = [tpl(
        '<tr><td class="nowrap">{at}</td><td>{platform}</td><td class="mono">{user}</td>'
        '<td><a href="{href}">대화 보기 open conversation</a></td><td>{take}</td></tr>',
        at=clock.when(r.requested_at), platform=r.platform, user=r.user_ref,
        href=conversation_url(r.conversation_id),
        take=take_button(r.conversation_id, csrf, conversation_url(r.conversation_id),
                         ids=False))
        for r in rows]
    return tpl(
        '<section id="handoff-queued"><h2>사람을 기다리는 사용자 Waiting for a person</h2>'
        "<table><thead><tr><th>요청 asked ({tz})</th><th>플랫폼 platform</th><th>사용자 user</th>"
        "<th>대화 conversation</th><th>조치 action</th></tr></thead><tbody>{rows}</tbody>"
        "</table></section>",
        tz=clock.tz, rows=join(items) or Html(
            '<tr><td colspan="5" class="muted">지금 기다리는 사람은 없습니다. No one is '
            "waiting.</td></tr>"))


def error_body(message: str, conversation_id: str) -> Html:
    """A refused action, said plainly, with the way back."""
    return tpl('<div class="notice error" id="handoff-error">{m}</div>'
               '<p><a href="{href}">대화로 돌아가기 Back to the conversation</a></p>',
               m=message, href=conversation_url(conversation_id))


CSS = """
.handoff { background:#fff; border:1px solid var(--line); padding:.8rem 1rem; margin:0 0 1rem; }
.handoff h2 { font-size:1.05rem; margin:.1rem 0 .5rem; }
.handoff h3 { font-size:.95rem; margin:.9rem 0 .2rem; }
.handoff form.handoff-send { display:flex; flex-direction:column; gap:.3rem; max-width:46rem; }
.badge.held { background:#e4ecf6; color:var(--accent); }
ol.live { list-style:none; padding:0; margin:.4rem 0 0; }
ol.live li { display:flex; gap:.6rem; padding:.3rem .4rem; border-bottom:1px solid var(--line); }
ol.live li.crisis { background:#fff5f4; }
ol.live .at { color:var(--muted); font-variant-numeric:tabular-nums; white-space:nowrap; }
ol.live .who { font-weight:600; white-space:nowrap; }
"""

# The live view: Server-Sent Events from /admin/conversations/{id}/live, one <li> per line.
SCRIPT = """\
"use strict";
(() => {
  const live = document.getElementById("handoff-live");
  if (!live || !window.EventSource) {
    return;
  }
  const WHO = { user: "사용자 user", bot: "버디 Buddy", operator: "상담사 operator",
                notice: "알림 notice" };
  const source = new EventSource(live.dataset.src);
  source.addEventListener("ready", () => { live.dataset.state = "open"; });
  source.addEventListener("end", () => { source.close(); live.dataset.state = "closed"; });
  source.addEventListener("error", () => {
    live.dataset.state = source.readyState === EventSource.CLOSED ? "closed" : "reconnecting";
  });
  source.addEventListener("message", (event) => {
    let data = null;
    try {
      data = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    const li = document.createElement("li");
    li.dataset.role = String(data.role);
    if (data.crisis) {
      li.className = "crisis";
    }
    for (const [cls, text] of [["at", data.at], ["who", WHO[data.role] || data.role],
                               ["text", data.text]]) {
      const part = document.createElement(cls === "text" ? "div" : "span");
      part.className = cls;
      part.textContent = String(text);
      li.appendChild(part);
    }
    live.appendChild(li);
  });
})();
"""
