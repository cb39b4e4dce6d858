"""``buddy ask`` (one-shot answers, never logged) and ``buddy chat`` (a logged console talk)."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from cli.common import ensure_model, fail, settings_or_exit
from core import (
    AnswerBook,
    Buddy,
    BuddyError,
    IncomingMessage,
    Reply,
    load_configured_model,
    open_buddy,
    replies,
)


def _reply_json(text: str, reply: Reply) -> str:
    return json.dumps(
        {
            "text": text,
            "category": reply.category,
            "confidence": None if reply.confidence is None else round(reply.confidence, 4),
            "answer": reply.text,
            "crisis": reply.crisis,
            "risk_level": reply.risk_level,
            "kind": reply.kind.value,
            "signals": list(reply.signals),
            "top_k": [[c, round(p, 4)] for c, p in reply.top_k],
        },
        ensure_ascii=False,
    )


NOT_UTF8 = ("{where} is not UTF-8 text; buddy reads UTF-8 only. Convert it first, e.g. "
            "`iconv -f cp949 -t utf-8 FILE | buddy ask`")


def _is_text(text: str) -> bool:
    """False for what the terminal or a pipe could not decode (lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _stdin_lines() -> Iterator[str]:
    """Standard input as UTF-8 lines, read as bytes so the locale cannot smuggle undecodable
    bytes in as surrogates; the first line that is not UTF-8 ends the run (exit code 2)."""
    for n, raw in enumerate(sys.stdin.buffer, start=1):
        try:
            yield raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            fail(NOT_UTF8.format(where=f"line {n} of standard input"))


def ask(
    texts: Annotated[list[str] | None, typer.Argument(help="Messages; none: read lines from stdin")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
    model: Annotated[Path | None, typer.Option("--model", help="A model folder (default: BUDDY_MODEL or the embedded default)")] = None,
) -> None:
    """Answer each TEXT (or each line of standard input). Nothing is logged."""
    settings = settings_or_exit()
    ensure_model(settings, model)
    try:
        loaded = load_configured_model(settings, model)
    except BuddyError as exc:
        fail(str(exc))
    buddy = Buddy(
        classifier=loaded.classifier,
        answers=AnswerBook(loaded.answers),
        pseudonym_secret=b"buddy-ask",  # nothing is stored, so no real secret is needed
        confidence_threshold=settings.confidence_threshold,
        flood_limit_per_minute=10**9,
    )
    for n, text in enumerate(texts or [], start=1):
        if not _is_text(text):
            fail(NOT_UTF8.format(where=f"argument {n}"))
    lines = texts if texts else _stdin_lines()

    async def run() -> None:
        for text in lines:
            reply = await buddy.handle(IncomingMessage("cli", "ask", text), log_turn=False)
            if as_json:
                typer.echo(_reply_json(text, reply))
            else:
                label = f"[{reply.category} {reply.confidence:.2f}]" if reply.category else ""
                flag = " [위기 crisis]" if reply.crisis else ""
                typer.echo(f"> {text}\n{label}{flag}\n{reply.text}\n")
        await buddy.aclose()

    asyncio.run(run())


def chat() -> None:
    """Talk with Buddy in this terminal. Logged as platform `console`. Ctrl-D to leave."""
    settings = settings_or_exit()
    ensure_model(settings)

    async def run() -> None:
        async with open_buddy(settings) as buddy:
            typer.secho("버디와 대화를 시작합니다. 끝내려면 '그만할래' 또는 Ctrl-D.", fg="green")
            typer.echo(f"버디: {replies.WELCOME}")
            user = getpass.getuser()
            while True:
                try:
                    text = await asyncio.to_thread(input, "나: ")
                except (EOFError, KeyboardInterrupt):
                    typer.echo()
                    break
                if not _is_text(text):
                    typer.secho("입력을 UTF-8로 읽을 수 없어요. 다시 입력해 주세요. "
                                "(That line was not UTF-8; type it again.)", err=True)
                    continue
                reply = await buddy.handle(IncomingMessage("console", user, text))
                colour = typer.colors.RED if reply.crisis else None
                typer.secho(f"버디: {reply.text}", fg=colour)
                if reply.ends_conversation:
                    break

    try:
        asyncio.run(run())
    except BuddyError as exc:
        fail(str(exc))
