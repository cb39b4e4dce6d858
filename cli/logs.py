"""``buddy logs``: operators read, export and prune the conversation log in a terminal.

Users appear only as 12-character pseudonymous references. Everything users wrote is
printed as plain text (``cli/terminal.py``: no rich markup, control characters made
visible) so a message can never restyle or take over the operator's terminal. Every command
is recorded in the audit log as ``cli:<os user>`` (``cli/log_access.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from sqlalchemy.ext.asyncio import AsyncSession

from cli.common import fail
from cli.log_access import Sessions, actor, audit, run_on_log
from cli.log_options import (
    CategoryOpt,
    CrisisOpt,
    LowOpt,
    PagerOpt,
    PlatformOpt,
    SearchOpt,
    SinceOpt,
    ThresholdOpt,
    UntilOpt,
    log_filter,
)
from cli.log_stats_view import stats_tables
from cli.terminal import category_cell, confidence_cell, console, emit, safe, when
from core.config import Settings
from core.review.csv_safe import safe_row
from core.review.views import EXPORT_FIELDS, AmbiguousReference, MessageView
from core.storage import review_reads as q
from core.storage import review_writes

app = typer.Typer(
    help="Review the conversation log: list, show, export, stats, forget, purge.",
    no_args_is_help=True,
)


# --- commands ----------------------------------------------------------------------------
@app.command("list")
def list_(
    platform: PlatformOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    category: CategoryOpt = None, crisis: CrisisOpt = False, low_confidence: LowOpt = False,
    threshold: ThresholdOpt = None, search: SearchOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000, help="Rows per page")] = 50,
    page: Annotated[int, typer.Option("--page", min=1, max=1_000_000, help="Page number")] = 1,
    pager: PagerOpt = None,
) -> None:
    """Conversations, newest first: platform, start, user reference, messages, crisis, confidence."""

    async def work(sessions: Sessions, settings: Settings) -> None:
        flt = log_filter(settings, platform, since, until, category, crisis, low_confidence,
                      threshold, search)
        async with sessions() as s:
            rows, total = await q.list_conversations(s, flt, limit=limit,
                                                     offset=(page - 1) * limit)
        await audit(sessions, "list", detail=flt.describe())
        limit_conf = threshold if threshold is not None else settings.confidence_threshold
        if not rows:
            console().print("No conversations match." if total == 0 or page == 1
                             else f"No conversations on page {page} ({total} in all).")
            return
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        for name, width, justify in (
            ("ID", 8, "left"), ("PLATFORM", 8, "left"), ("STARTED UTC", 16, "left"),
            ("USER", 12, "left"), ("MSGS", 4, "right"), ("CRISIS", 7, "left"),
            ("CONF", 4, "right"),
        ):
            table.add_column(name, no_wrap=True, min_width=width, justify=justify)  # type: ignore[arg-type]
        table.add_column("FIRST MESSAGE", no_wrap=True, overflow="ellipsis", min_width=10)
        for r in rows:
            crisis_cell = Text("")
            if r.crisis:
                crisis_cell = (Text("CRISIS!", style="bold red") if r.unreviewed_crisis
                               else Text("CRISIS", style="red"))
            preview = safe(r.preview.replace("\n", " ") if r.preview else None)
            table.add_row(r.id[:8], r.platform, when(r.started_at), r.user_ref, str(r.messages),
                          crisis_cell, confidence_cell(r.lowest_confidence, limit_conf), preview)
        first = (page - 1) * limit + 1
        head = Text(f"Conversations {first}–{first + len(rows) - 1} of {total}"
                    f"  (filter: {flt.describe()})", style="bold")
        foot = Text("CONF: lowest classifier confidence of the user's messages; CRISIS!: "
                    "not yet reviewed.\nOpen one with: buddy logs show ID", style="dim")
        emit([head, table, foot], pager)

    run_on_log(work)


@app.command()
def show(
    conversation: Annotated[str, typer.Argument(help="Conversation id (the first 8 characters do)")],
    ids: Annotated[bool, typer.Option("--ids", help="Show message ids (for relabel/review)")] = False,
    pager: PagerOpt = None,
) -> None:
    """A conversation's transcript with each message's category and confidence."""

    async def work(sessions: Sessions, settings: Settings) -> None:
        async with sessions() as s:
            try:
                conv_id = await q.resolve_conversation(s, conversation)
            except AmbiguousReference as exc:
                fail(str(exc))
            tr = await q.transcript(s, conv_id) if conv_id else None
        if tr is None:
            fail(f"no conversation {conversation!r}; `buddy logs list` shows their ids")
        await audit(sessions, "view_transcript", target=tr.conversation.id)
        c = tr.conversation
        head = Text.assemble(
            ("Conversation ", "bold"), (c.id, "bold"), "\n",
            f"platform {c.platform} · user {c.user_ref} · started {when(c.started_at)} UTC · "
            f"{c.messages} messages",
        )
        if c.crisis:
            head.append("\nCRISIS in this conversation", style="bold red")
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        if ids:
            table.add_column("ID", no_wrap=True, min_width=8)
        table.add_column("TIME", no_wrap=True, min_width=8)
        table.add_column("WHO", no_wrap=True, min_width=5)
        table.add_column("MESSAGE", ratio=3, overflow="fold", min_width=16)
        table.add_column("CATEGORY", ratio=1, overflow="fold", min_width=8)
        table.add_column("CONF", justify="right", no_wrap=True, min_width=4)
        table.add_column("FLAGS", no_wrap=True, min_width=10)
        for m in tr.messages:
            who = Text("user", style="cyan") if m.role == "user" else Text("buddy", style="dim")
            flags = Text("")
            if m.crisis and m.role == "user":
                flags.append("CRISIS\n", style="bold red")
                flags.append("reviewed" if m.reviewed_at else "unreviewed",
                             style="green" if m.reviewed_at else "red")
            cells: list[RenderableType] = [
                m.created_at.strftime("%H:%M:%S"), who, safe(m.text), category_cell(m),
                confidence_cell(m.confidence, settings.confidence_threshold), flags,
            ]
            if ids:
                cells.insert(0, m.id[:8])
            table.add_row(*cells)
        emit([head, table], pager)

    run_on_log(work)


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or jsonl")] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default: stdout)")] = None,
    corrections: Annotated[
        bool, typer.Option("--corrections",
                           help="Only operators' relabels, as a training file for `buddy train`")
    ] = False,
    platform: PlatformOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    category: CategoryOpt = None, crisis: CrisisOpt = False, low_confidence: LowOpt = False,
    threshold: ThresholdOpt = None, search: SearchOpt = None,
) -> None:
    """Messages as JSONL (one message a line) or CSV; no platform ids, no secrets."""
    fmt = fmt.lower()
    if fmt not in ("csv", "jsonl"):
        fail(f"unknown format {fmt!r}; use --format csv or --format jsonl")
    if corrections and fmt != "jsonl":
        fail("corrections are written as JSONL (the format `buddy train` reads); drop --format")

    async def work(sessions: Sessions, settings: Settings) -> int:
        flt = log_filter(settings, platform, since, until, category, crisis, low_confidence,
                      threshold, search)
        async with sessions() as s:
            rows = await (q.corrections_rows(s, flt) if corrections else q.export_rows(s, flt))
        if fmt == "jsonl":
            body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        else:
            buf = io.StringIO()
            w = csv.DictWriter(buf, fieldnames=list(EXPORT_FIELDS), lineterminator="\r\n")
            w.writeheader()
            for r in rows:
                w.writerow(safe_row({**r, "signals": ";".join(r["signals"])}))  # type: ignore[arg-type]
            body = buf.getvalue()
        if out is None:
            stream = getattr(sys.stdout, "buffer", None)
            if stream is not None:
                sys.stdout.flush()
                stream.write(body.encode("utf-8"))
                stream.flush()
            else:
                sys.stdout.write(body)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            # A BOM lets spreadsheet programs read Korean CSV correctly; JSONL stays plain.
            out.write_text(body, encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="")
        action = "export_corrections" if corrections else "export"
        await audit(sessions, action, target=fmt,
                     detail=f"{len(rows)} rows; filter {flt.describe()}")
        return len(rows)

    n = run_on_log(work)
    what = "corrections" if corrections else "messages"
    if out is not None:
        typer.echo(f"wrote {n} {what} to {out}", err=True)
        if corrections:
            typer.echo(f"train with them: buddy train --data data/dataset --data {out}", err=True)


@app.command()
def stats(
    platform: PlatformOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    category: CategoryOpt = None, crisis: CrisisOpt = False, low_confidence: LowOpt = False,
    threshold: ThresholdOpt = None, search: SearchOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="Categories to list")] = 20,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also write PNG charts into DIR")] = None,
    pager: PagerOpt = None,
) -> None:
    """Messages per day, category distribution, confidence histogram, crisis count."""

    async def work(sessions: Sessions, settings: Settings) -> None:
        flt = log_filter(settings, platform, since, until, category, crisis, low_confidence,
                      threshold, search)
        limit_conf = threshold if threshold is not None else settings.confidence_threshold
        async with sessions() as s:
            st = await q.stats(s, flt, threshold=limit_conf)
        await audit(sessions, "stats", detail=flt.describe())
        out: list[RenderableType] = stats_tables(st, threshold=limit_conf, top=top)
        if plot is not None:
            from core.review.charts import korean_font, write_charts

            paths = await asyncio.to_thread(write_charts, st, plot, threshold=limit_conf)
            note = "" if korean_font() else " (no Korean font found: install fonts-nanum)"
            out.append(Text("Charts written" + note + ":\n" + "\n".join(f"  {p}" for p in paths)))
        emit(out, pager)

    run_on_log(work)


@app.command()
def forget(
    user_ref: Annotated[str, typer.Argument(help="The user reference shown by `buddy logs list`")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
) -> None:
    """Delete everything of one user: conversations, messages and corrections."""
    from core.pseudonym import user_ref as short_ref
    from core.storage.audit import record_audit
    from core.storage.users import delete_user, find_user_keys

    async def work(sessions: Sessions, settings: Settings) -> tuple[str, int] | None:
        async with sessions() as s:
            keys = await find_user_keys(s, user_ref)
        if not keys:
            fail(f"no user with reference {user_ref!r} (at least 8 characters; "
                 "`buddy logs list` shows them)")
        if len(keys) > 1:
            fail(f"{user_ref!r} matches {len(keys)} users; type more of the reference")
        ref = short_ref(keys[0])
        if not yes and not typer.confirm(
            f"Delete every conversation and message of user {ref}? This cannot be undone."
        ):
            return None
        async with sessions() as s, s.begin():
            n = await delete_user(s, keys[0])
            await record_audit(s, actor(), "forget", target=ref, detail=f"{n} messages")
        from core.storage.privacy import scrub_with

        await scrub_with(sessions)  # the deleted text leaves the SQLite file and WAL too
        return ref, n

    result = run_on_log(work)
    if result is None:
        typer.echo("Nothing deleted.")
        raise typer.Exit(1)
    typer.echo(f"Deleted user {result[0]} and {result[1]} messages.")


@app.command()
def purge(
    days: Annotated[
        int | None, typer.Option("--days", min=1, max=36_500,
                                 help="Override RETENTION_DAYS for this run")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would go")] = False,
) -> None:
    """Delete conversations older than RETENTION_DAYS (as `buddy serve` does daily)."""
    from core.storage.retention import purge_expired

    async def work(sessions: Sessions, settings: Settings) -> str:
        keep = days if days is not None else settings.retention_days
        if keep <= 0:
            return ("RETENTION_DAYS=0: the log is kept without a time limit; nothing purged "
                    "(use --days N to purge once).")
        r = await purge_expired(sessions, keep, actor=actor(), dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        return (f"{verb} {r.conversations} conversations ({r.messages} messages) whose last "
                f"message is before {when(r.cutoff)} UTC (retention {keep} days).")

    typer.echo(run_on_log(work))


@app.command()
def relabel(
    message_id: Annotated[str, typer.Argument(help="Message id (`buddy logs show --ids`)")],
    category: Annotated[str, typer.Argument(help="The correct category")],
) -> None:
    """Correct the category of a user's message; exported by `export --corrections`."""

    async def work(sessions: Sessions, settings: Settings) -> MessageView:
        allowed = set(await _labels(sessions, settings))
        async with sessions() as s, s.begin():
            mid = await _resolve_message(s, message_id)
            try:
                return await review_writes.relabel(s, mid, category, actor(), allowed=allowed)
            except (LookupError, ValueError) as exc:
                fail(f"{exc}. Known categories: `buddy logs stats --top 1000`")

    v = run_on_log(work)
    typer.echo(f"Message {v.id[:8]}: {v.category or '-'} → {v.corrected_category}")


@app.command()
def review(
    message_id: Annotated[str, typer.Argument(help="Crisis message id (`buddy logs show --ids`)")],
) -> None:
    """Mark a crisis message as reviewed."""

    async def work(sessions: Sessions, settings: Settings) -> bool:
        async with sessions() as s, s.begin():
            mid = await _resolve_message(s, message_id)
            return await review_writes.mark_reviewed(s, mid, actor())

    typer.echo("Marked as reviewed." if run_on_log(work) else "It was already reviewed.")


async def _labels(sessions: Sessions, settings: Settings) -> list[str]:
    """Categories a relabel may use: the configured model's labels and those in the log."""
    labels: set[str] = set()
    if settings.buddy_model is not None:
        from core.classify.model_folder import read_manifest

        with contextlib.suppress(Exception):  # a broken model folder must not block corrections
            labels.update(read_manifest(Path(settings.buddy_model)).labels)
    else:  # the embedded default knows the categories of the dataset it is trained from
        from core.dataset.formats import load_dataset

        with contextlib.suppress(Exception):
            labels.update(load_dataset(Path(settings.data_dir)).categories)
    async with sessions() as s:
        labels.update(await q.known_categories(s))
    return sorted(labels)


async def _resolve_message(s: AsyncSession, ref: str) -> str:
    try:
        found = await q.resolve_message(s, ref)
    except AmbiguousReference as exc:
        fail(str(exc))
    if found is None:
        fail(f"no message {ref!r} (at least 6 characters); "
             "`buddy logs show CONVERSATION --ids` lists them")
    return found
