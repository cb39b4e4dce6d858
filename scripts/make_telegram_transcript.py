"""Write ``docs/transcripts/telegram.md``: a real conversation through the Telegram adapter.

Run: ``.venv/bin/python scripts/make_telegram_transcript.py [--model DIR]``

The real python-telegram-bot client talks over HTTP to the stand-in Bot API of
:mod:`telegram_stub`; the core is ``open_buddy`` with the configured model (the embedded
default unless ``--model`` or ``BUDDY_MODEL`` says otherwise) and a throwaway SQLite log.
Everything below "User" and "Buddy" is what the stub received, not typed by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
STANDINS = REPO / "tests" / "bot"  # the local stand-ins the tests use (no network)
sys.path[:0] = [str(REPO), str(STANDINS)]

from telegram_stub import TOKEN, TelegramStub  # noqa: E402

from bot.telegram_channel import build_application, start_telegram, stop_telegram  # noqa: E402
from core.app import open_buddy  # noqa: E402
from core.config import Settings  # noqa: E402
from core.safety.hotlines import HOTLINES  # noqa: E402
from training.default_model import ensure_default_model  # noqa: E402

USER = 4242
GROUP = {"id": -100777, "type": "group", "title": "스터디 모임"}


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


class Recorder:
    """Pushes one update at a time, waits for what the bot sent, writes it down."""

    def __init__(self, stub: TelegramStub) -> None:
        self.stub = stub
        self.out: list[str] = []
        self.seen = 0

    def _new_calls(self) -> list[Any]:
        calls = self.stub.calls[self.seen:]
        self.seen = len(self.stub.calls)
        return calls

    async def exchange(self, label: str, push: Any, expect: int = 1, chat: int = USER,
                       method: str = "sendMessage") -> list[Any]:
        before = len(self.stub.sent(chat, method))
        started = time.perf_counter()
        push()
        await self.stub.wait_sent(chat, before + expect, method)
        took = time.perf_counter() - started
        calls = self._new_calls()
        self.out.append(f"**User** ({label}):\n")
        actions = [c for c in calls if c.method == "sendChatAction"]
        replies = [c for c in calls if c.method in ("sendMessage", "editMessageText")]
        note = f"_typing indicator shown; {len(replies)} message(s), {took * 1000:.0f} ms_"
        if not actions:
            note = f"_{len(replies)} message(s), {took * 1000:.0f} ms_"
        self.out.append(note + "\n")
        for call in replies:
            verb = "edits its message to" if call.method == "editMessageText" else "Buddy"
            self.out.append(f"**{verb}** ({len(call.params['text'])} chars):\n\n"
                            f"{_quote(call.params['text'])}\n")
            markup = call.params.get("reply_markup")
            if markup:
                buttons = " · ".join(f"[{b['text']}]" for row in markup["inline_keyboard"]
                                     for b in row)
                self.out.append(f"_buttons:_ {buttons}\n")
        return replies


async def record(model: Path | None) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        async with TelegramStub.running() as stub:
            settings = Settings(_env_file=None, telegram_token=TOKEN,
                                telegram_base_url=stub.base_url, BUDDY_VAR_DIR=Path(tmp),
                                **({"buddy_model": model} if model else {}))  # type: ignore[arg-type]
            if model is None:
                ensure_default_model(settings.data_dir, settings.var_dir / "models")
            async with open_buddy(settings) as buddy:
                application = build_application(buddy, settings)
                await start_telegram(application, settings, poll_timeout=1)
                rec = Recorder(stub)
                rec._new_calls()
                menu = stub.sent(method="setMyCommands")[0].params["commands"]
                rec.out += ["## Conversation\n",
                            f"_Model: `{buddy.classifier.model_id}`. Command menu registered "
                            f"with setMyCommands: {', '.join('/' + c['command'] for c in menu)}._\n"]
                say = [
                    ("/start", lambda: stub.command(USER, "/start")),
                    ("text: 안녕하세요", lambda: stub.text(USER, "안녕하세요")),
                    ("text: 요즘 밤에 잠이 안 와서 너무 피곤해요",
                     lambda: stub.text(USER, "요즘 밤에 잠이 안 와서 너무 피곤해요")),
                    ("a sticker 😢", lambda: stub.sticker(USER)),
                    ("text: 회사에서 실수를 해서 계속 자책하게 돼요",
                     lambda: stub.text(USER, "회사에서 실수를 해서 계속 자책하게 돼요")),
                    ("text: 솔직히 요즘은 그냥 죽고 싶다는 생각이 들어요",
                     lambda: stub.text(USER, "솔직히 요즘은 그냥 죽고 싶다는 생각이 들어요")),
                    ("text: 얘기하니까 조금은 괜찮아요",
                     lambda: stub.text(USER, "얘기하니까 조금은 괜찮아요")),
                    ("/privacy", lambda: stub.command(USER, "/privacy")),
                ]
                for label, push in say:
                    await rec.exchange(label, push)
                (confirm,) = await rec.exchange("/forget", lambda: stub.command(USER, "/forget"))
                yes = next(b["callback_data"] for row in
                           confirm.params["reply_markup"]["inline_keyboard"] for b in row
                           if b["callback_data"].startswith("forget:yes"))
                await rec.exchange("taps the first button", lambda: stub.press(USER, confirm, yes),
                                   method="editMessageText")

                rec.out.append("\n## Bad inputs\n")
                rec.out.append("| Input | What happened |\n|---|---|")
                bad = await _bad_inputs(stub, rec)
                rec.out += bad
                await stop_telegram(application)
            rows = "\n".join(rec.out)
    return (
        "# Telegram transcript\n\n"
        "Generated by `scripts/make_telegram_transcript.py`: the real python-telegram-bot "
        "client against the stand-in Bot API (`tests/bot/telegram_stub.py`) on 127.0.0.1, "
        "with `open_buddy` and a throwaway SQLite log. Not typed by hand; rerun to refresh.\n\n"
        + rows + "\n"
    )


async def _bad_inputs(stub: TelegramStub, rec: Recorder) -> list[str]:
    rows: list[str] = []

    def last_text(chat: int) -> str:
        return stub.sent(chat)[-1].params["text"]

    def short(text: str) -> str:
        text = text.replace("\n", " ")
        return text if len(text) <= 90 else text[:90] + "…"

    for chat, label, push in ((5001, "photo without caption", stub.photo),
                              (5002, "voice message", stub.voice)):
        push(chat)
        await stub.wait_sent(chat)
        rows.append(f"| {label} | kind text-only reply: “{short(last_text(chat))}” |")

    stub.photo(5003, caption="죽고 싶어요")
    await stub.wait_sent(5003)
    crisis = last_text(5003)
    rows.append(f"| photo whose caption says 죽고 싶어요 | caption read as text → crisis reply "
                f"({', '.join(f'contains {h.number}: {h.number in crisis}' for h in HOTLINES[:2])}) |")

    stub.text(5004, "😢😢😢")
    await stub.wait_sent(5004)
    rows.append(f"| emoji only | “{short(last_text(5004))}” |")

    stub.text(5005, "가" * 5000)
    await stub.wait_sent(5005)
    rows.append(f"| 5,000 characters of one syllable | answered once: “{short(last_text(5005))}” |")

    stub.command(5006, "/whatever")
    await stub.wait_sent(5006)
    rows.append(f"| unknown command /whatever | “{short(last_text(5006))}” |")

    stub.text(5007, "요즘 잠이 안 와요", chat=GROUP)
    asked = stub.text(5008, "@buddy_test_bot 요즘 잠이 안 와요", chat=GROUP,
                      entities=[{"type": "mention", "offset": 0, "length": 15}])
    await stub.wait_sent(GROUP["id"])
    stub.sticker(5010)  # handled after both group messages: a marker, not a timer
    await stub.wait_sent(5010)
    group = stub.sent(GROUP["id"])
    quoted = [c.params["reply_parameters"]["message_id"] == asked["message"]["message_id"]
              for c in group]
    rows.append(f"| group message without a mention, then one with @buddy_test_bot | "
                f"{len(group)} reply; it quotes the mentioning message: {all(quoted)} |")

    stub.fail_next("sendMessage", retry_after=1)
    attempts = stub.attempts.get("sendmessage", 0)
    stub.text(5009, "요즘 잠이 안 와요")
    await stub.wait_sent(5009)
    rows.append(f"| Bot API answers 429 retry_after=1 | waited, resent: "
                f"{stub.attempts['sendmessage'] - attempts} attempts, "
                f"{len(stub.sent(5009))} message delivered |")

    for n in range(5):
        stub.text(5100 + n, "요즘 잠이 안 와요")
    for n in range(5):
        await stub.wait_sent(5100 + n)
    rows.append("| 5 users at once | "
                + ", ".join(str(len(stub.sent(5100 + n))) for n in range(5))
                + " message(s) each |")
    rec._new_calls()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "transcripts" / "telegram.md")
    args = parser.parse_args()
    text = asyncio.run(record(args.model))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
