"""Queries behind ``buddy logs`` and the ``/admin`` dashboard, each taking a session.

Both views share one :class:`LogFilter` so an operator gets the same answer from the
terminal and the browser. Users appear only as the 12-character pseudonymous reference;
the full HMAC key never leaves this module. Functions that change something (relabel,
mark reviewed) also write the audit event, in the caller's transaction, so an action is
never stored without its record.

Datetimes: the log stores UTC. SQLite hands them back without a zone, so every datetime
leaving this module is made timezone-aware UTC.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.pseudonym import user_ref
from core.safety.levels import RiskLevel
from core.storage.models import Conversation, Feedback, Message
from core.storage.repository import record_audit

#: Columns of ``buddy logs export``; none of them is a platform id or a secret.
EXPORT_FIELDS: tuple[str, ...] = (
    "message_id", "conversation_id", "user_ref", "platform", "role", "created_at", "kind",
    "text", "category", "confidence", "crisis", "risk_level", "signals", "corrected_category",
    "reviewed_at",
)
HISTOGRAM_BINS = 10


def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC; a naive value (SQLite, or an operator's input) is taken to be UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


_RELATIVE = re.compile(r"^(\d+)\s*([dhm])$")


# Times an operator may ask for. Outside them nothing is logged, and the arithmetic of a far
# date (``until=9999-12-31`` is the day after 9999-12-31) or age (``99999999999d``) overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)
_FORMS = ("use a date (2026-05-01), an ISO time (2026-05-01T09:30), 'today', or an age like "
          "7d / 12h / 30m")


def parse_when(value: str, *, end: bool = False, now: datetime | None = None) -> datetime:
    """Parse an operator's ``--since``/``--until``: ``2026-05-01``, an ISO time, ``7d``, ``12h``.

    A bare date used as an end (``end=True``) means the whole day, so ``--until 2026-05-01``
    includes messages of May 1st. Raises ``ValueError`` with the accepted forms, also for a
    time before 1970 or from 2200 on (never an ``OverflowError``).
    """
    raw = value.strip().lower()
    now = as_utc(now) or datetime.now(timezone.utc)
    try:
        parsed = _parse_when(raw, value.strip(), end, now)
    except OverflowError:
        parsed = LATEST + timedelta(days=1)  # too far either way: refused just below
    if parsed is None:
        raise ValueError(f"cannot read {value[:40]!r} as a time; {_FORMS}")
    if not EARLIEST <= parsed <= LATEST:
        raise ValueError(f"{value[:40]!r} is out of range; use a time between "
                         f"{EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return parsed


def _parse_when(raw: str, value: str, end: bool, now: datetime) -> datetime | None:
    """The time ``raw`` names, None when it is no accepted form; may raise OverflowError."""
    if raw in ("today", "오늘"):
        start = datetime.combine(now.date(), time(), timezone.utc)
        return start + timedelta(days=1) if end else start
    m = _RELATIVE.match(raw)
    if m:
        if len(m.group(1)) > 9:  # int() of a 5,000-digit age is slow; no age is that long
            raise OverflowError(raw)
        n, unit = int(m.group(1)), m.group(2)
        delta = {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]
        return now - delta
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            start = datetime.combine(date.fromisoformat(raw), time(), timezone.utc)
            return start + timedelta(days=1) if end else start
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class LogFilter:
    """Which messages an operator is looking at; every field narrows, none is required.

    A conversation matches when at least one of its messages matches every given field.
    ``low_confidence`` is a threshold: messages whose classifier confidence is below it.
    """

    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    category: str | None = None
    crisis: bool = False
    low_confidence: float | None = None
    text: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        m = Message
        out: list[ColumnElement[bool]] = []
        if self.platform:
            out.append(m.platform == self.platform)
        if self.since:
            out.append(m.created_at >= as_utc(self.since))
        if self.until:
            out.append(m.created_at < as_utc(self.until))
        if self.category:
            out.append(m.category == self.category)
        if self.crisis:
            out.append(m.crisis.is_(True))
        if self.low_confidence is not None:
            out.append(and_(m.confidence.is_not(None), m.confidence < self.low_confidence))
        if self.text:
            out.append(m.text.icontains(self.text, autoescape=True))
        return out

    def describe(self) -> str:
        """For the audit log: which filters, never the searched words (they may be a user's)."""
        parts = []
        for name in ("platform", "category"):
            if getattr(self, name):
                parts.append(f"{name}={getattr(self, name)}")
        for name in ("since", "until"):
            if getattr(self, name):
                parts.append(f"{name}={as_utc(getattr(self, name)).isoformat()}")  # type: ignore[union-attr]
        if self.crisis:
            parts.append("crisis")
        if self.low_confidence is not None:
            parts.append(f"confidence<{self.low_confidence:g}")
        if self.text:
            parts.append("text-search")
        return " ".join(parts) or "all"


# --- result records --------------------------------------------------------------------
@dataclass(frozen=True)
class ConversationRow:
    """One line of the conversation list."""

    id: str
    platform: str
    started_at: datetime
    last_message_at: datetime
    user_ref: str
    messages: int
    crisis: bool
    unreviewed_crisis: int
    lowest_confidence: float | None
    preview: str | None


@dataclass(frozen=True)
class MessageView:
    """One logged message as operators see it, with its latest correction if any."""

    id: str
    conversation_id: str
    user_ref: str
    platform: str
    role: str
    text: str
    kind: str
    category: str | None
    confidence: float | None
    crisis: bool
    signals: tuple[str, ...]
    created_at: datetime
    reviewed_at: datetime | None
    corrected_category: str | None = None
    risk_level: str | None = None  # the safety level's label ("plan"); None when not logged

    @property
    def can_relabel(self) -> bool:
        """Only what a user wrote, as text, is training material."""
        return self.role == "user" and self.kind == "text"


@dataclass(frozen=True)
class Transcript:
    conversation: ConversationRow
    messages: list[MessageView]


@dataclass
class Stats:
    """Aggregates of the filtered log; message counts are of users' messages."""

    messages: int = 0
    user_messages: int = 0
    conversations: int = 0
    users: int = 0
    crisis: int = 0
    unreviewed_crisis: int = 0
    low_confidence: int = 0
    corrections: int = 0
    per_day: list[tuple[date, int]] = field(default_factory=list)
    categories: list[tuple[str, int]] = field(default_factory=list)
    histogram: list[int] = field(default_factory=lambda: [0] * HISTOGRAM_BINS)


class AmbiguousReference(ValueError):
    """A shortened id matched more than one row; the operator should type more of it."""


# --- helpers -----------------------------------------------------------------------------
def _latest_corrections():  # noqa: ANN202 - an aliased subquery
    """The newest corrected category per message (several relabels: the last one counts)."""
    newest = (
        select(func.max(Feedback.id).label("fid"))
        .where(Feedback.corrected_category.is_not(None))
        .group_by(Feedback.message_id)
    )
    return (
        select(
            Feedback.message_id.label("message_id"),
            Feedback.corrected_category.label("corrected_category"),
            Feedback.created_at.label("corrected_at"),
        )
        .where(Feedback.id.in_(newest))
        .subquery("latest_correction")
    )


def _message_select():  # noqa: ANN202
    corr = _latest_corrections()
    stmt = select(Message, corr.c.corrected_category, corr.c.corrected_at).outerjoin(
        corr, corr.c.message_id == Message.id
    )
    return stmt, corr


def _signals(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    return tuple(str(s) for s in value) if isinstance(value, list) else ()


def _view(m: Message, corrected: str | None) -> MessageView:
    return MessageView(
        id=m.id,
        conversation_id=m.conversation_id,
        user_ref=user_ref(m.user_id),
        platform=m.platform,
        role=m.role,
        text=m.text,
        kind=m.kind,
        category=m.category,
        confidence=m.confidence,
        crisis=bool(m.crisis),
        signals=_signals(m.signals),
        created_at=as_utc(m.created_at),  # type: ignore[arg-type]
        reviewed_at=as_utc(m.reviewed_at),
        corrected_category=corrected,
        risk_level=_risk_label(m.risk_level),
    )


def _risk_label(value: int | None) -> str | None:
    """A stored level number as its label; None for rows logged before levels existed."""
    if value is None:
        return None
    try:
        return RiskLevel(int(value)).label
    except ValueError:
        return None


# --- conversations -----------------------------------------------------------------------
def _conversation_aggregates():  # noqa: ANN202
    m = Message
    preview = (
        select(m.text)
        .where(m.conversation_id == Conversation.id, m.role == "user")
        .order_by(m.created_at)
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    return (
        select(
            Conversation.id,
            Conversation.platform,
            Conversation.started_at,
            Conversation.last_message_at,
            Conversation.user_id,
            func.count(m.id),
            func.max(case((m.crisis, 1), else_=0)),
            func.sum(case((and_(m.crisis, m.role == "user", m.reviewed_at.is_(None)), 1),
                          else_=0)),
            func.min(case((m.role == "user", m.confidence), else_=None)),
            preview,
        )
        .join(m, m.conversation_id == Conversation.id)
        .group_by(
            Conversation.id, Conversation.platform, Conversation.started_at,
            Conversation.last_message_at, Conversation.user_id,
        )
    )


def _conversation_row(r: Sequence) -> ConversationRow:  # type: ignore[type-arg]
    return ConversationRow(
        id=r[0], platform=r[1], started_at=as_utc(r[2]), last_message_at=as_utc(r[3]),  # type: ignore[arg-type]
        user_ref=user_ref(r[4]), messages=int(r[5] or 0), crisis=bool(r[6]),
        unreviewed_crisis=int(r[7] or 0), lowest_confidence=r[8], preview=r[9],
    )


async def list_conversations(
    session: AsyncSession, flt: LogFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[ConversationRow], int]:
    """Conversations with a matching message, newest activity first, and how many match."""
    matching = select(Message.conversation_id).where(*flt.conditions()).distinct()
    total = await session.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.id.in_(matching))
    )
    stmt = (
        _conversation_aggregates()
        .where(Conversation.id.in_(matching))
        .order_by(Conversation.last_message_at.desc(), Conversation.id)
        .limit(limit)
        .offset(offset)
    )
    rows = (await session.execute(stmt)).all()
    return [_conversation_row(r) for r in rows], int(total or 0)


async def resolve_conversation(session: AsyncSession, ref: str) -> str | None:
    """A conversation id from its full form or a unique prefix (at least 6 characters)."""
    ref = ref.strip().lower()
    if not ref:
        return None
    if await session.scalar(select(Conversation.id).where(Conversation.id == ref)):
        return ref
    if len(ref) < 6:
        return None
    found = list(
        await session.scalars(
            select(Conversation.id).where(Conversation.id.startswith(ref, autoescape=True)).limit(2)
        )
    )
    if len(found) > 1:
        raise AmbiguousReference(f"{ref!r} matches several conversations; type more of the id")
    return found[0] if found else None


async def resolve_message(session: AsyncSession, ref: str) -> str | None:
    """A message id from its full form or a unique prefix (at least 6 characters)."""
    ref = ref.strip().lower()
    if len(ref) < 6:
        return None
    found = list(
        await session.scalars(
            select(Message.id).where(Message.id.startswith(ref, autoescape=True)).limit(2)
        )
    )
    if len(found) > 1:
        raise AmbiguousReference(f"{ref!r} matches several messages; type more of the id")
    return found[0] if found else None


async def transcript(session: AsyncSession, conversation_id: str) -> Transcript | None:
    """A whole conversation in order, each message with its category and confidence."""
    row = (
        await session.execute(_conversation_aggregates().where(Conversation.id == conversation_id))
    ).first()
    if row is None:
        return None
    stmt, _ = _message_select()
    stmt = stmt.where(Message.conversation_id == conversation_id).order_by(
        Message.created_at, Message.role.desc()
    )
    messages = [_view(m, corr) for m, corr, _at in (await session.execute(stmt)).all()]
    return Transcript(_conversation_row(row), messages)


# --- queues ------------------------------------------------------------------------------
async def crisis_queue(
    session: AsyncSession, flt: LogFilter | None = None, *, limit: int = 100
) -> list[MessageView]:
    """Users' crisis messages: unreviewed first, then the highest risk level first (an act
    under way before a passive wish), then the newest. Rows logged before levels existed
    count as ideation."""
    flt = flt or LogFilter()
    stmt, _ = _message_select()
    unreviewed_first = case((Message.reviewed_at.is_(None), 0), else_=1)
    level = func.coalesce(Message.risk_level, int(RiskLevel.IDEATION))
    stmt = (
        stmt.where(Message.role == "user", Message.crisis.is_(True), *flt.conditions())
        .order_by(unreviewed_first, level.desc(), Message.created_at.desc())
        .limit(limit)
    )
    return [_view(m, corr) for m, corr, _at in (await session.execute(stmt)).all()]


async def count_unreviewed_crisis(session: AsyncSession) -> int:
    n = await session.scalar(
        select(func.count()).select_from(Message).where(
            Message.role == "user", Message.crisis.is_(True), Message.reviewed_at.is_(None)
        )
    )
    return int(n or 0)


async def low_confidence_queue(
    session: AsyncSession, threshold: float, flt: LogFilter | None = None, *, limit: int = 100
) -> list[MessageView]:
    """Users' messages the classifier was least sure of; not yet corrected ones first."""
    flt = flt or LogFilter()
    stmt, corr = _message_select()
    uncorrected_first = case((corr.c.corrected_category.is_(None), 0), else_=1)
    stmt = (
        stmt.where(
            Message.role == "user",
            Message.confidence.is_not(None),
            Message.confidence < threshold,
            *flt.conditions(),
        )
        .order_by(uncorrected_first, Message.confidence, Message.created_at.desc())
        .limit(limit)
    )
    return [_view(m, c) for m, c, _at in (await session.execute(stmt)).all()]


# --- operator actions --------------------------------------------------------------------
async def get_message(session: AsyncSession, message_id: str) -> MessageView | None:
    stmt, _ = _message_select()
    row = (await session.execute(stmt.where(Message.id == message_id))).first()
    return _view(row[0], row[1]) if row else None


async def relabel(
    session: AsyncSession,
    message_id: str,
    category: str,
    actor: str,
    allowed: Collection[str] | None = None,
) -> MessageView:
    """Store an operator's category for a user's message (feeds ``export --corrections``).

    Raises ``LookupError`` for an unknown message and ``ValueError`` when the message is
    not a user's text or the category is not on the label list.
    """
    category = category.strip()
    msg = await session.get(Message, message_id)
    if msg is None:
        raise LookupError(f"no message {message_id!r}")
    if msg.role != "user" or msg.kind != "text":
        raise ValueError("only users' text messages can be relabelled")
    if not category or (allowed is not None and category not in allowed):
        raise ValueError(f"{category!r} is not on the label list")
    session.add(Feedback(message_id=message_id, corrected_category=category, source="operator"))
    await record_audit(
        session, actor, "relabel", target=message_id,
        detail=json.dumps({"from": msg.category, "to": category}, ensure_ascii=False),
    )
    await session.flush()
    view = await get_message(session, message_id)
    assert view is not None
    return view


async def mark_reviewed(session: AsyncSession, message_id: str, actor: str) -> bool:
    """Mark a crisis message as looked after; False when it was already reviewed."""
    msg = await session.get(Message, message_id)
    if msg is None:
        raise LookupError(f"no message {message_id!r}")
    if msg.reviewed_at is not None:
        return False
    msg.reviewed_at = datetime.now(timezone.utc)
    await record_audit(session, actor, "review", target=message_id)
    await session.flush()
    return True


# --- stats and exports -------------------------------------------------------------------
async def stats(session: AsyncSession, flt: LogFilter, *, threshold: float = 0.3) -> Stats:
    """Counts, messages per day (UTC), category distribution and a confidence histogram."""
    conds = flt.conditions()
    user = [Message.role == "user", *conds]
    out = Stats()
    out.messages = int(
        await session.scalar(select(func.count()).select_from(Message).where(*conds)) or 0
    )
    out.conversations = int(
        await session.scalar(select(func.count(func.distinct(Message.conversation_id))).where(*conds))
        or 0
    )
    out.users = int(
        await session.scalar(select(func.count(func.distinct(Message.user_id))).where(*conds)) or 0
    )
    out.crisis = int(
        await session.scalar(
            select(func.count()).select_from(Message).where(*user, Message.crisis.is_(True))
        ) or 0
    )
    out.unreviewed_crisis = int(
        await session.scalar(
            select(func.count()).select_from(Message).where(
                *user, Message.crisis.is_(True), Message.reviewed_at.is_(None)
            )
        ) or 0
    )
    out.corrections = int(
        await session.scalar(
            select(func.count(func.distinct(Feedback.message_id)))
            .join(Message, Message.id == Feedback.message_id)
            .where(Feedback.corrected_category.is_not(None), *user)
        ) or 0
    )
    cats = await session.execute(
        select(Message.category, func.count())
        .where(*user, Message.category.is_not(None))
        .group_by(Message.category)
        .order_by(func.count().desc(), Message.category)
    )
    out.categories = [(c, int(n)) for c, n in cats.all()]
    # Day buckets and histogram in Python: date functions differ between SQLite and PostgreSQL.
    days: Counter[date] = Counter()
    result = await session.execute(select(Message.created_at, Message.confidence).where(*user))
    for created, conf in result.all():
        out.user_messages += 1
        days[as_utc(created).date()] += 1  # type: ignore[union-attr]
        if conf is not None:
            out.histogram[min(int(conf * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)] += 1
            if conf < threshold:
                out.low_confidence += 1
    if days:
        first, last = min(days), max(days)
        out.per_day = [
            (first + timedelta(days=i), days.get(first + timedelta(days=i), 0))
            for i in range((last - first).days + 1)
        ]
    return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export_rows(session: AsyncSession, flt: LogFilter) -> list[dict[str, object]]:
    """Matching messages, oldest first, as plain dicts with :data:`EXPORT_FIELDS` keys."""
    stmt, _ = _message_select()
    stmt = stmt.where(*flt.conditions()).order_by(Message.created_at, Message.role.desc())
    rows = []
    for m, corr, _at in (await session.execute(stmt)).all():
        v = _view(m, corr)
        rows.append({
            "message_id": v.id,
            "conversation_id": v.conversation_id,
            "user_ref": v.user_ref,
            "platform": v.platform,
            "role": v.role,
            "created_at": _iso(v.created_at),
            "kind": v.kind,
            "text": v.text,
            "category": v.category,
            "confidence": v.confidence,
            "crisis": v.crisis,
            "risk_level": v.risk_level,
            "signals": list(v.signals),
            "corrected_category": v.corrected_category,
            "reviewed_at": _iso(v.reviewed_at),
        })
    return rows


async def corrections_rows(session: AsyncSession, flt: LogFilter) -> list[dict[str, object]]:
    """Operators' corrections as training lines ``{"text", "category", ...}`` for ``buddy train``."""
    stmt, corr = _message_select()
    stmt = (
        stmt.where(
            corr.c.corrected_category.is_not(None), Message.role == "user", *flt.conditions()
        )
        .order_by(corr.c.corrected_at, Message.id)
    )
    out = []
    for m, category, corrected_at in (await session.execute(stmt)).all():
        if not m.text.strip():
            continue
        out.append({
            "text": m.text,
            "category": category,
            "model_category": m.category,
            "message_id": m.id,
            "corrected_at": _iso(as_utc(corrected_at)),
        })
    return out


async def known_categories(session: AsyncSession) -> list[str]:
    """Categories already in the log (the relabel list adds them to the model's labels)."""
    rows = await session.scalars(
        select(Message.category).where(Message.category.is_not(None)).distinct()
    )
    corrected = await session.scalars(
        select(Feedback.corrected_category).where(Feedback.corrected_category.is_not(None)).distinct()
    )
    return sorted({*rows, *corrected})


async def known_platforms(session: AsyncSession) -> list[str]:
    return sorted(set(await session.scalars(select(Conversation.platform).distinct())))


async def count_before(session: AsyncSession, cutoff: datetime) -> tuple[int, int]:
    """(conversations, messages) that :func:`~core.storage.repository.purge_before` would delete."""
    old = select(Conversation.id).where(Conversation.last_message_at < as_utc(cutoff))
    convs = await session.scalar(select(func.count()).select_from(old.subquery()))
    msgs = await session.scalar(
        select(func.count()).select_from(Message).where(Message.conversation_id.in_(old))
    )
    return int(convs or 0), int(msgs or 0)
