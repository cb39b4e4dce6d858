"""Reads behind ``buddy logs`` and the ``/admin`` dashboard, each taking a session.

They fill the plain views of ``core.review.views`` for a ``core.review.filters.LogFilter``;
the full HMAC user key never leaves this module (views carry the 12-character reference).
Operators' changes (relabel, mark reviewed) are in ``core.storage.review_writes``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.pseudonym import user_ref
from core.review.filters import LogFilter
from core.review.views import (
    AmbiguousReference,
    ConversationRow,
    MessageView,
    Stats,
    Transcript,
    confidence_bin,
    export_line,
    parse_signals,
    risk_label,
)
from core.safety.levels import RiskLevel
from core.storage.models import Conversation, Feedback, Message
from core.storage.utc import as_utc


def filter_conditions(flt: LogFilter) -> list[ColumnElement[bool]]:
    """The WHERE conditions on ``messages`` that ``flt`` asks for."""
    m = Message
    out: list[ColumnElement[bool]] = []
    if flt.platform:
        out.append(m.platform == flt.platform)
    if flt.since:
        out.append(m.created_at >= as_utc(flt.since))
    if flt.until:
        out.append(m.created_at < as_utc(flt.until))
    if flt.category:
        out.append(m.category == flt.category)
    if flt.crisis:
        out.append(m.crisis.is_(True))
    if flt.low_confidence is not None:
        out.append(and_(m.confidence.is_not(None), m.confidence < flt.low_confidence))
    if flt.text:
        out.append(m.text.icontains(flt.text, autoescape=True))
    return out


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
        signals=parse_signals(m.signals),
        created_at=as_utc(m.created_at),
        reviewed_at=as_utc(m.reviewed_at),
        corrected_category=corrected,
        risk_level=risk_label(m.risk_level),
        operator=m.operator,
    )


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
        id=r[0], platform=r[1], started_at=as_utc(r[2]), last_message_at=as_utc(r[3]),
        user_ref=user_ref(r[4]), messages=int(r[5] or 0), crisis=bool(r[6]),
        unreviewed_crisis=int(r[7] or 0), lowest_confidence=r[8], preview=r[9],
    )


async def list_conversations(
    session: AsyncSession, flt: LogFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[ConversationRow], int]:
    """Conversations with a matching message, newest activity first, and how many match."""
    matching = select(Message.conversation_id).where(*filter_conditions(flt)).distinct()
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
        stmt.where(Message.role == "user", Message.crisis.is_(True), *filter_conditions(flt))
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
            *filter_conditions(flt),
        )
        .order_by(uncorrected_first, Message.confidence, Message.created_at.desc())
        .limit(limit)
    )
    return [_view(m, c) for m, c, _at in (await session.execute(stmt)).all()]


async def get_message(session: AsyncSession, message_id: str) -> MessageView | None:
    stmt, _ = _message_select()
    row = (await session.execute(stmt.where(Message.id == message_id))).first()
    return _view(row[0], row[1]) if row else None


# --- stats and exports -------------------------------------------------------------------
async def _count(session: AsyncSession, stmt) -> int:  # noqa: ANN001 - a select of one count
    return int(await session.scalar(stmt) or 0)


async def stats(session: AsyncSession, flt: LogFilter, *, threshold: float = 0.3) -> Stats:
    """Counts, messages per day (UTC), category distribution and a confidence histogram."""
    conds = filter_conditions(flt)
    user = [Message.role == "user", *conds]
    count_messages = select(func.count()).select_from(Message)
    out = Stats()
    out.messages = await _count(session, count_messages.where(*conds))
    out.conversations = await _count(
        session, select(func.count(func.distinct(Message.conversation_id))).where(*conds))
    out.users = await _count(
        session, select(func.count(func.distinct(Message.user_id))).where(*conds))
    out.crisis = await _count(session, count_messages.where(*user, Message.crisis.is_(True)))
    out.unreviewed_crisis = await _count(session, count_messages.where(
        *user, Message.crisis.is_(True), Message.reviewed_at.is_(None)))
    out.corrections = await _count(
        session,
        select(func.count(func.distinct(Feedback.message_id)))
        .join(Message, Message.id == Feedback.message_id)
        .where(Feedback.corrected_category.is_not(None), *user),
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
        days[as_utc(created).date()] += 1
        if conf is not None:
            out.histogram[confidence_bin(conf)] += 1
            if conf < threshold:
                out.low_confidence += 1
    if days:
        first, last = min(days), max(days)
        out.per_day = [
            (first + timedelta(days=i), days.get(first + timedelta(days=i), 0))
            for i in range((last - first).days + 1)
        ]
    return out


async def export_rows(session: AsyncSession, flt: LogFilter) -> list[dict[str, object]]:
    """Matching messages, oldest first, as plain dicts with ``EXPORT_FIELDS`` keys."""
    stmt, _ = _message_select()
    stmt = stmt.where(*filter_conditions(flt)).order_by(Message.created_at, Message.role.desc())
    return [export_line(_view(m, corr)) for m, corr, _at in (await session.execute(stmt)).all()]


async def corrections_rows(session: AsyncSession, flt: LogFilter) -> list[dict[str, object]]:
    """Operators' corrections as training lines ``{"text", "category", ...}`` for ``buddy train``."""
    stmt, corr = _message_select()
    stmt = (
        stmt.where(
            corr.c.corrected_category.is_not(None), Message.role == "user",
            *filter_conditions(flt),
        )
        .order_by(corr.c.corrected_at, Message.id)
    )
    out = []
    for m, category, corrected_at in (await session.execute(stmt)).all():
        if not m.text.strip():
            continue
        at = as_utc(corrected_at)
        out.append({
            "text": m.text,
            "category": category,
            "model_category": m.category,
            "message_id": m.id,
            "corrected_at": at.isoformat() if at else None,
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
