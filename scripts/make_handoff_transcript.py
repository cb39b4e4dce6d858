"""Write ``docs/transcripts/handoff.md`` and ``docs/screenshots/handoff-*.png``: one human
handoff per platform (Telegram, Discord, web chat) through a real ``buddy serve``.

Run: ``.venv/bin/python scripts/make_handoff_transcript.py`` (needs Debian's chromium).

``buddy serve`` runs in this process over the local stand-ins the tests use
(``tests/bot/served_handoff.py``: the Bot API stand-in, the fake Discord API; no network);
the operator signs in to ``/admin`` in headless Chromium with their own token. Per
platform, in order: what the user sent and received (read from the stand-ins, or from the
web API and its event stream, exactly what the chat page uses) and what the operator did
and saw, with times relative to the user's first message. Then, per platform, five crisis
messages in a conversation whose page an operator has open: the time from the user's
message to the line appearing in the operator's live view, and to a fresh load of the
crisis queue listing it. No platform ids are written: the stand-ins' chat ids are made up
and not shown.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STANDINS = REPO / "tests" / "bot"  # the local stand-ins and the served harness (no network)
sys.path[:0] = [str(REPO), str(STANDINS)]

import discord_payloads as p  # noqa: E402
import httpx  # noqa: E402
from playwright.async_api import async_playwright, expect  # noqa: E402
from served_handoff import ASK_PERSON, CHROMIUM, CHROMIUM_ARGS, CRISIS, SLEEP, Desk, Served, served  # noqa: E402

HELLO = "안녕하세요, 상담 선생님 김이에요. 지금 많이 힘드셨죠. 천천히 이야기해 주세요."
REPLY = "네 고마워요 조금 나아졌어요"
RUNS = 5
PORT = re.compile(r":\d+/")  # the free port of this run: not worth a diff
SHOTS = REPO / "docs" / "screenshots"


class User:
    """A user on one platform: ``write`` sends, ``received(n)`` waits for n messages."""

    platform: str
    label: str

    async def write(self, text: str) -> None: ...

    async def received(self, count: int) -> list[str]: ...


class TelegramUser(User):
    platform, label = "telegram", "Telegram"

    def __init__(self, site: Served, chat: int) -> None:
        self.stub, self.chat = site.telegram, chat

    async def write(self, text: str) -> None:
        self.stub.text(self.chat, text)

    async def received(self, count: int) -> list[str]:
        await self.stub.wait_sent(self.chat, count)
        return [c.params["text"] for c in self.stub.sent(self.chat)]


class DiscordUser(User):
    platform, label = "discord", "Discord (DM)"

    def __init__(self, site: Served) -> None:
        self.site = site

    async def write(self, text: str) -> None:
        self.site.discord.user_writes(text)

    async def received(self, count: int) -> list[str]:
        await self.site.discord_api.wait_for(rf"/channels/{p.DM_CHANNEL}/messages", count)
        return self.site.discord_api.messages_to(p.DM_CHANNEL)


class WebUser(User):
    """The chat page's two calls: ``POST /api/chat`` and the ``/api/events`` stream."""

    platform, label = "web", "Web chat"

    def __init__(self, client: httpx.AsyncClient, session: str) -> None:
        self.client, self.session = client, session
        self.inbox: list[str] = []
        self.changed = asyncio.Event()
        self.listening = asyncio.Event()
        self.task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        import json

        async with self.client.stream("GET", "/api/events",
                                      params={"session": self.session}) as response:
            self.listening.set()
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    pushed = json.loads(line[len("data: "):])
                    sender = pushed.get("sender")
                    self._add(f"[{sender}]\n{pushed['text']}" if sender else pushed["text"])

    def _add(self, text: str) -> None:
        self.inbox.append(text)
        self.changed.set()

    async def write(self, text: str) -> None:
        await asyncio.wait_for(self.listening.wait(), 10)
        answer = (await self.client.post("/api/chat", json={"session": self.session,
                                                            "text": text})).json()
        if answer["answer"]:  # empty while a person holds the conversation
            self._add(answer["answer"])

    async def received(self, count: int) -> list[str]:
        while len(self.inbox) < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 20)
        return list(self.inbox)


@dataclass
class Timeline:
    """What happened, in order, with seconds since the user's first message."""

    rows: list[tuple[float, str, str]] = field(default_factory=list)
    t0: float | None = None
    seen: int = 0

    def note(self, who: str, what: str) -> None:
        now = time.perf_counter()
        self.t0 = now if self.t0 is None else self.t0
        self.rows.append((now - self.t0, who, what))

    async def got(self, user: User, count: int) -> list[str]:
        chat = await user.received(count)
        for text in chat[self.seen:]:
            self.note("user receives", text)
        self.seen = len(chat)
        return chat


async def handoff(user: User, desk: Desk, watcher: Desk | None) -> tuple[Timeline, str]:
    """One handoff; ``watcher`` (another operator) takes the screenshots on the way."""
    tl = Timeline()
    tl.note("user sends", CRISIS)
    await user.write(CRISIS)
    crisis = len(await tl.got(user, 1))
    await desk.open_from_crisis_queue(CRISIS, user.platform)
    tl.note("operator", "finds it in the crisis queue (Crisis queue → open conversation); "
            "the page's live view is connected")
    conversation = desk.page.url.split("#")[0]
    await desk.take()
    tl.note("operator", "clicks Take (맡기)")
    await tl.got(user, crisis + 1)
    await desk.send(HELLO)
    tl.note("operator sends", HELLO)
    await tl.got(user, crisis + 2)
    tl.note("user sends", REPLY)
    await user.write(REPLY)
    await expect(desk.live("user", REPLY)).to_have_count(1, timeout=20_000)
    roles = await desk.live_roles()
    tl.note("operator sees live", f"사용자 user: {REPLY} (live view lines: {', '.join(roles)}; "
            "Buddy sent nothing)")
    if watcher is not None:
        await desk.page.screenshot(path=str(SHOTS / "handoff-transcript.png"), full_page=True)
        await watcher.crisis_queue()
        await watcher.page.screenshot(path=str(SHOTS / "handoff-crisis-queue.png"),
                                      full_page=True)
    await desk.hand_back()
    tl.note("operator", "clicks Hand back (버디에게 돌려주기)")
    await tl.got(user, crisis + 3)
    tl.note("user sends", SLEEP)
    await user.write(SLEEP)
    await tl.got(user, crisis + 4)
    return tl, conversation


ARRIVALS = """() => {
  window.arrivals = [];
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        window.arrivals.push([node.dataset.role, Date.now()]);
      }
    }
  }).observe(document.getElementById("handoff-live"), { childList: true });
}"""


async def measure(user: User, desk: Desk, conversation: str) -> tuple[list[float], list[float]]:
    """Crisis message → (line in the open page's live view, a fresh crisis-queue load
    listing it), in ms, measured apart so the reloading does not slow the live view down;
    the operator's page records the arrival time itself."""
    live_ms, queue_ms = [], []
    for _ in range(RUNS):
        await desk.page.goto(conversation)
        await desk.live_open()
        await desk.page.evaluate(ARRIVALS)
        chat = len(await user.received(1))
        sent = time.time() * 1000
        await user.write(CRISIS)
        await expect(desk.live("user", CRISIS)).to_have_count(1, timeout=20_000)
        arrived = await desk.page.evaluate("window.arrivals.find(a => a[0] === 'user')[1]")
        live_ms.append(arrived - sent)
        await user.received(chat + 1)  # the crisis reply went out before the next message
    queue = await desk.page.context.new_page()
    rows = queue.locator('tr[id^="m-"]', has_text=CRISIS).filter(has_text=user.platform)
    for _ in range(RUNS):
        await queue.goto("/admin/crisis")
        before, chat = await rows.count(), len(await user.received(1))
        sent = time.time() * 1000
        await user.write(CRISIS)
        while True:  # what an operator reloading the crisis queue would see, and when
            await queue.goto("/admin/crisis")
            if await rows.count() > before:
                queue_ms.append(time.time() * 1000 - sent)
                break
        await user.received(chat + 1)
    await queue.close()
    return live_ms, queue_ms


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _stats(values: list[float]) -> str:
    return (f"median **{statistics.median(values):.0f} ms** (min {min(values):.0f}, "
            f"max {max(values):.0f}; {len(values)} runs)")


async def record() -> str:
    sections, timings = [], []
    with tempfile.TemporaryDirectory() as tmp:
        async with served(Path(tmp)) as site, async_playwright() as pw, \
                httpx.AsyncClient(base_url=site.url, timeout=20) as client:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            kim = await Desk.sign_in(browser, site.url, "kim", expect)
            lee = await Desk.sign_in(browser, site.url, "lee", expect)
            waiting = TelegramUser(site, 8202)  # someone waiting, for the queue's screenshot
            await waiting.write(ASK_PERSON)
            await waiting.received(1)
            users: list[User] = [TelegramUser(site, 8101), DiscordUser(site),
                                 WebUser(client, "transcript-web-1")]
            for user in users:
                tl, conversation = await handoff(user, kim, lee if user is users[0] else None)
                sections.append(_section(user, tl))
                timings.append((user, await measure(user, kim, conversation)))
            for user in users:
                if isinstance(user, WebUser):
                    user.task.cancel()
            await browser.close()
            summary = [line for line in site.lines if line.startswith(("Telegram:", "Discord:",
                                                                        "Web chat:", "Handoff:"))]
    return _document(sections, timings, summary)


def _section(user: User, tl: Timeline) -> str:
    rows = "\n".join(f"| {at:6.2f} | {who} | {_cell(what)} |" for at, who, what in tl.rows)
    return f"## {user.label}\n\n| t (s) | who | what |\n|---:|---|---|\n{rows}\n"


def _document(sections: list[str], timings: list, summary: list[str]) -> str:  # type: ignore[type-arg]
    measured = "\n".join(
        f"| {user.label} | {_stats(live)} | {_stats(queue)} |" for user, (live, queue) in timings)
    lines = "\n".join("    " + PORT.sub(":PORT/", line) for line in summary)
    return f"""# Human handoff: transcripts per platform

Generated by `scripts/make_handoff_transcript.py` on {date.today().isoformat()}; not typed
by hand, rerun to refresh. One `buddy serve` in-process (web server with `/admin`, the
Telegram channel long polling the Bot API stand-in, Discord's channel with discord.py's HTTP
client against the fake Discord API; see `tests/bot/served_handoff.py`), the handoff on with
two operators; the operator works in headless Chromium. The classifier is a tiny
two-category model, so Buddy's own answers are plain; the crisis reply and the handoff texts
are the real ones. Times: seconds since the user's first message, as the script observed
them (the stand-in received the message, or the page showed it). Telegram and Discord show
an operator's message with `[상담 선생님]` above it, as written here; the web chat shows a
bubble labelled 상담 선생님 (written here the same way). See
[HANDOFF.md](../HANDOFF.md) for the design.

Start-up summary printed by `buddy serve`:

{lines}

{chr(10).join(sections)}
## Measured: crisis message → the operator sees it

The operator has the conversation's page open (Buddy answering, no one holds it); the user
sends a crisis message through their platform's real client. *Live view*: until the line
appears in `#handoff-live` (arrival time taken inside the page by a `MutationObserver`).
*Crisis queue*: until a fresh load of `/admin/crisis`, repeated as fast as the page loads,
lists it (includes the page loads; measured apart from the live view). Development machine
(2 shared CPU cores, other jobs running); Telegram includes the stand-in's long-poll
hand-over.

| platform | live view | crisis queue (reloading) |
|---|---|---|
{measured}

Screenshots (made by the same run): the crisis queue while the Telegram conversation is
held and another user waits for a person — [handoff-crisis-queue.png](../screenshots/handoff-crisis-queue.png);
the transcript page of the held conversation with the user's reply in the live view —
[handoff-transcript.png](../screenshots/handoff-transcript.png).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "transcripts" / "handoff.md")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} not found: install Debian's chromium (apt install chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    text = asyncio.run(record())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} and {SHOTS}/handoff-*.png")


if __name__ == "__main__":
    main()
