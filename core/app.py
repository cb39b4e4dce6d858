"""Assembling a ready :class:`~core.pipeline.Buddy` from settings: the composition root.

Entry points (``buddy chat``, ``buddy serve``, benchmarks) call :func:`open_buddy`; tests
build ``Buddy`` directly from fakes. Everything that opens here is closed here.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from core.answers import AnswerBook
from core.classify.base import Classifier
from core.classify.embedded import trained_default_model
from core.classify.loader import load_model
from core.classify.model_folder import read_answers
from core.config import Settings
from core.handoff.service import HandoffService
from core.pipeline import Buddy
from core.safety import OperatorAlerts, SafetyChecker, SafetyMode
from core.safety.learned import LearnedCrisisSignal
from core.storage.db import open_engine, session_factory, upgrade_schema_async
from core.storage.dialogue_state import DialogueStateStore
from core.storage.writer import LogWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    folder: Path
    classifier: Classifier
    answers: dict[str, list[str]]


def load_configured_model(settings: Settings, model_dir: Path | None = None) -> LoadedModel:
    """The model to serve: ``model_dir``, else ``BUDDY_MODEL``, else the embedded default.

    Blocking; call off the event loop. The embedded default must have been trained by the
    entry point (``training.default_model.ensure_default_model``): the core only loads.
    Raises :class:`core.errors.ModelError` with the folder and the fix.
    """
    folder = model_dir or settings.buddy_model
    if folder is None:
        folder = trained_default_model(settings.data_dir, settings.var_dir / "models")
    started = time.perf_counter()
    classifier = load_model(Path(folder))
    log.info("model %s loaded from %s in %.1fs", classifier.model_id, folder,
             time.perf_counter() - started)
    return LoadedModel(Path(folder), classifier, read_answers(Path(folder)))


def operator_group_wanted(settings: Settings) -> bool:
    """The Telegram alert chat is also the operators' group (alerts with a "Take" button,
    replies to users): alerts go there, handoff has a key, operators have accounts."""
    return bool(settings.alert_telegram_chat_id
                and (settings.alert_telegram_token or settings.telegram_token)
                and settings.handoff_key and settings.operator_telegram_ids.strip())


def build_alerts(settings: Settings) -> OperatorAlerts | None:
    """Operator crisis alerts, or None when no destination is configured."""
    token = settings.alert_telegram_token or settings.telegram_token
    chat = settings.alert_telegram_chat_id
    discord = settings.alert_discord_webhook_url
    hook = settings.alert_webhook_url
    if not (chat and token) and not discord and not hook:
        return None
    extra = {}
    if settings.telegram_base_url:  # python-telegram-bot's form ends in /bot; alerts add it
        extra["telegram_base_url"] = settings.telegram_base_url.rstrip("/").removesuffix("/bot")
    return OperatorAlerts(
        **extra,
        telegram_token=token.get_secret_value() if (chat and token) else None,
        telegram_chat_id=chat,
        discord_webhook_url=discord.get_secret_value() if discord else None,
        webhook_url=hook.get_secret_value() if hook else None,
        take_button=operator_group_wanted(settings),
    )


def build_safety(settings: Settings) -> SafetyChecker:
    """The crisis check: the rules, and the learned model unless ``SAFETY_LEARNED=false``."""
    return SafetyChecker(LearnedCrisisSignal() if settings.safety_learned else None)


def warm_up(classifier: Classifier, safety: SafetyChecker) -> float:
    """Load everything lazy before the first user arrives; returns seconds taken.

    The Korean morpheme analyser takes seconds to load; paid by the first message, that
    could hit the pipeline's classification timeout and turn an answer into a fallback.
    """
    from core.morph import get_kiwi

    started = time.perf_counter()
    try:
        get_kiwi()
        if safety.learned is not None:
            safety.learned.prepare()
        safety.assess("요즘 잠이 안 와요")
        classifier.predict(["안녕하세요, 요즘 잠이 안 와요"], 1)
    except Exception:
        log.warning("warm-up failed; the first message may be slow", exc_info=True)
    return time.perf_counter() - started


def journal_path(settings: Settings) -> Path:
    """The write-ahead journal of the conversation log (see ``core.storage.journal``)."""
    return settings.var_dir / "log-journal.jsonl"


def secure_files(settings: Settings) -> list[str]:
    """var/ 0700; the SQLite files, the journal and the pseudonym key 0600 (see
    ``core.storage.privacy``); a new SQLite file is created private. Returns the fixes."""
    from sqlalchemy.engine import make_url

    from core.storage.privacy import create_private_file, make_private, sqlite_files

    journal = journal_path(settings)
    files = [journal, journal.with_name("log-journal.set-aside.jsonl"),
             settings.var_dir / "pseudonym.key"]
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not url.database.startswith("file:"):
        db = Path(url.database)
        create_private_file(db)
        files += sqlite_files(db)
    return make_private(settings.var_dir, files)


def log_problems(settings: Settings) -> list[str]:
    """What will keep the conversation log from being written, with the fix (a read-only
    var/ or database file); the writer retries, so fixing it needs no restart."""
    import os

    from sqlalchemy.engine import make_url

    problems = []
    if not os.access(settings.var_dir, os.W_OK):
        problems.append(f"{settings.var_dir} is not writable: answered turns cannot be "
                        f"journaled (chmod u+w {settings.var_dir})")
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        if db.exists() and not os.access(db, os.W_OK):
            problems.append(f"the log database {db} is read-only: turns wait in the journal "
                            f"until it is writable (chmod u+w {db})")
    return problems


def log_status_line(buddy: Buddy, settings: Settings) -> str:
    """The start-up line about the conversation log: durable, or why it is not."""
    if buddy.writer is None:
        return "Conversation log: off"
    status, why = buddy.writer.health
    problems = ([why] if why else []) + log_problems(settings)
    if status != "ok" or problems:
        return "Conversation log: DEGRADED (replies still go out): " + "; ".join(problems)
    mode = "durable, journal " if buddy.writer.durable else "background, journal "
    return f"Conversation log: {mode}{journal_path(settings)}"


@contextlib.asynccontextmanager
async def open_buddy(
    settings: Settings, *, model: LoadedModel | None = None, with_log: bool = True,
    durable: bool = True,
) -> AsyncIterator[Buddy]:
    """Migrate the log, load the model, start the writer; close them all on exit.

    ``durable=False`` is the earlier mode (turns reach disk in the background, after the
    reply); only ``buddy bench serve`` uses it, to show what durability costs.
    """
    import asyncio

    safety = build_safety(settings)
    if model is None:
        model = await asyncio.to_thread(load_configured_model, settings)
    await asyncio.to_thread(warm_up, model.classifier, safety)
    writer: LogWriter | None = None
    states: DialogueStateStore | None = None
    sessions = None
    handoff: HandoffService | None = None  # serve hands it the channels' send_text
    engine = None
    if with_log:
        url = settings.resolved_database_url
        secure_files(settings)
        for problem in log_problems(settings):
            log.error("conversation log: %s", problem)
        await upgrade_schema_async(url)
        engine = open_engine(url)
        sessions = session_factory(engine)
        writer = LogWriter(sessions, journal=journal_path(settings),
                           durable=durable)
        await writer.start()
        states = DialogueStateStore(sessions)  # conversations shared by processes
        handoff = HandoffService.from_settings(settings, sessions)
        log.info("%s", handoff.status())
        secure_files(settings)  # the -wal and -shm SQLite made meanwhile
    buddy = Buddy(
        classifier=model.classifier,
        answers=AnswerBook(model.answers),
        pseudonym_secret=settings.pseudonym_key(),
        writer=writer,
        safety=safety,
        safety_mode=SafetyMode(
            turns=settings.safety_mode_turns, minutes=settings.safety_mode_minutes
        ),
        alerts=build_alerts(settings),
        confidence_threshold=settings.confidence_threshold,
        conversation_idle=timedelta(minutes=settings.conversation_idle_minutes),
        flood_limit_per_minute=settings.flood_limit_per_minute,
        states=states,
        handoff=handoff,
        sessions=sessions,
    )
    try:
        yield buddy
    finally:
        await buddy.aclose()
        if engine is not None:
            await engine.dispose()
