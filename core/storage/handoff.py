"""Handoff storage: the state row, the sealed contact address, operator turns.

Small async functions taking a session, like the rest of :mod:`core.storage`; the caller owns
the transaction. Every state change is a conditional UPDATE from the states that
:mod:`core.handoff.states` allows and returns whether it matched, so two operators (or an
operator and the idle timer) racing for one conversation get exactly one winner, on SQLite
and PostgreSQL alike, across processes.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.handoff.states import HandoffEvent, HandoffState, HandoffView, allowed_from
from core.pseudonym import user_ref
from core.storage.models import ContactAddress, Conversation, Handoff, Message, User

_ACTIVE = (HandoffState.QUEUED.value, HandoffState.HELD.value)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at


def _from(event: HandoffEvent) -> list[str]:
    return [s.value for s in allowed_from(event)]


# --- the contact address ------------------------------------------------------------------
async def remember_address(
    session: AsyncSession, user_key: str, platform: str, conversation_id: str, sealed: bytes,
    now: datetime,
) -> None:
    """Keep (or refresh) the user's sealed address for their open conversation."""
    values = {"platform": platform, "conversation_id": conversation_id, "sealed": sealed,
              "last_seen_at": now}
    done = await session.execute(
        update(ContactAddress).where(ContactAddress.user_key == user_key).values(**values))
    if done.rowcount:
        return
    try:
        async with session.begin_nested():  # another process may insert it at this moment
            session.add(ContactAddress(user_key=user_key, **values))
    except IntegrityError:
        await session.execute(
            update(ContactAddress).where(ContactAddress.user_key == user_key).values(**values))


async def address_row(session: AsyncSession, user_key: str) -> ContactAddress | None:
    return await session.get(ContactAddress, user_key)


async def delete_address(session: AsyncSession, user_key: str) -> int:
    done = await session.execute(delete(ContactAddress).where(ContactAddress.user_key == user_key))
    return int(done.rowcount or 0)


async def user_of_conversation(session: AsyncSession, conversation_id: str) -> str | None:
    """The user key behind a conversation id (what operators click in /admin)."""
    for column, key in ((ContactAddress.conversation_id, ContactAddress.user_key),
                        (Handoff.conversation_id, Handoff.user_key),
                        (Conversation.id, Conversation.user_id)):
        found = await session.scalar(select(key).where(column == conversation_id).limit(1))
        if found:
            return str(found)
    return None


# --- the handoff row ----------------------------------------------------------------------
async def handoff_row(session: AsyncSession, user_key: str) -> Handoff | None:
    return await session.get(Handoff, user_key)


def _view(row: Handoff) -> HandoffView:
    return HandoffView(row.conversation_id, user_ref(row.user_key), row.platform,
                       HandoffState(row.state), row.operator, row.requested_at, row.taken_at)


async def handoffs_of_conversations(
    session: AsyncSession, conversation_ids: list[str]
) -> dict[str, HandoffView]:
    """The handoff of each conversation's user, keyed by the conversation id asked
    (for /admin: the state beside a transcript or a crisis message)."""
    if not conversation_ids:
        return {}
    rows = await session.execute(
        select(Conversation.id, Handoff)
        .join(Handoff, Handoff.user_key == Conversation.user_id)
        .where(Conversation.id.in_(set(conversation_ids))))
    return {str(conv): _view(row) for conv, row in rows.all()}


async def queued_handoffs(session: AsyncSession, limit: int = 100) -> list[HandoffView]:
    """Users waiting for a person, who asked first first (/admin's queued list)."""
    rows = await session.scalars(
        select(Handoff).where(Handoff.state == HandoffState.QUEUED.value)
        .order_by(Handoff.requested_at).limit(limit))
    return [_view(row) for row in rows]


async def handoff_state(session: AsyncSession, user_key: str) -> HandoffState:
    state = await session.scalar(select(Handoff.state).where(Handoff.user_key == user_key))
    return HandoffState(state) if state else HandoffState.NONE


async def ensure_handoff(
    session: AsyncSession, user_key: str, conversation_id: str, platform: str, now: datetime
) -> None:
    """Create the user's row in state ``none`` unless it exists (so a take has a row to win)."""
    if await session.get(Handoff, user_key) is not None:
        return
    try:
        async with session.begin_nested():
            session.add(Handoff(user_key=user_key, conversation_id=conversation_id,
                                platform=platform, state=HandoffState.NONE.value,
                                updated_at=now))
    except IntegrityError:
        pass  # created meanwhile by another process: the same row


async def request_handoff(
    session: AsyncSession, user_key: str, conversation_id: str, platform: str, now: datetime
) -> bool:
    """Queue the user (from none/returned); False when already queued or held."""
    await ensure_handoff(session, user_key, conversation_id, platform, now)
    done = await session.execute(
        update(Handoff)
        .where(Handoff.user_key == user_key,
               Handoff.state.in_([HandoffState.NONE.value, HandoffState.RETURNED.value]))
        .values(state=HandoffState.QUEUED.value, conversation_id=conversation_id,
                requested_at=now, ended_at=None, updated_at=now))
    return done.rowcount == 1


async def take_handoff(
    session: AsyncSession, user_key: str, operator: str, conversation_id: str, now: datetime
) -> bool:
    """Hold the user's conversation for ``operator``; True for exactly one of racing takers.
    ``conversation_id`` (the one the operator opened) is where their turns are logged and
    where the user's messages are shown live."""
    done = await session.execute(
        update(Handoff)
        .where(Handoff.user_key == user_key, Handoff.operator.is_(None),
               Handoff.state.in_(_from(HandoffEvent.TAKE)))
        .values(state=HandoffState.HELD.value, operator=operator, taken_at=now,
                conversation_id=conversation_id,
                last_operator_at=now, ended_at=None, updated_at=now))
    return done.rowcount == 1


async def touch_operator(session: AsyncSession, user_key: str, operator: str, now: datetime) -> bool:
    """Note the holder's activity (it resets the idle timer); False when not its holder."""
    done = await session.execute(
        update(Handoff)
        .where(Handoff.user_key == user_key, Handoff.operator == operator,
               Handoff.state == HandoffState.HELD.value)
        .values(last_operator_at=now, updated_at=now))
    return done.rowcount == 1


async def release_handoff(
    session: AsyncSession, user_key: str, now: datetime, *, operator: str | None = None,
    idle_before: datetime | None = None,
) -> bool:
    """Held → returned: by its holder (``operator``) or by the idle timer (``idle_before``:
    only when the holder has been silent since then, so a message sent meanwhile wins)."""
    where = [Handoff.user_key == user_key, Handoff.state == HandoffState.HELD.value]
    if operator is not None:
        where.append(Handoff.operator == operator)
    if idle_before is not None:
        where.append(or_(Handoff.last_operator_at.is_(None),
                         Handoff.last_operator_at < idle_before))
    done = await session.execute(
        update(Handoff).where(*where)
        .values(state=HandoffState.RETURNED.value, operator=None, ended_at=now, updated_at=now))
    return done.rowcount == 1


async def idle_held(session: AsyncSession, before: datetime) -> list[Handoff]:
    """Held conversations whose operator has been silent since ``before``."""
    rows = await session.scalars(select(Handoff).where(
        Handoff.state == HandoffState.HELD.value,
        or_(Handoff.last_operator_at.is_(None), Handoff.last_operator_at < before)))
    return list(rows)


async def lapse_queued(session: AsyncSession, before: datetime, now: datetime) -> int:
    """Queued requests whose user has been silent since ``before`` (their conversation has
    ended) go back to returned: no one is left waiting in a queue nobody can answer."""
    silent = select(ContactAddress.user_key).where(ContactAddress.last_seen_at < before)
    done = await session.execute(
        update(Handoff)
        .where(Handoff.state == HandoffState.QUEUED.value,
               or_(Handoff.user_key.in_(silent),
                   ~Handoff.user_key.in_(select(ContactAddress.user_key))))
        .values(state=HandoffState.RETURNED.value, ended_at=now, updated_at=now)
        .execution_options(synchronize_session=False))
    return int(done.rowcount or 0)


async def delete_stale_addresses(session: AsyncSession, before: datetime) -> int:
    """Delete addresses of conversations silent since ``before`` that no one queued or holds."""
    active = select(Handoff.user_key).where(Handoff.state.in_(_ACTIVE))
    done = await session.execute(
        delete(ContactAddress)
        .where(ContactAddress.last_seen_at < before, ~ContactAddress.user_key.in_(active))
        .execution_options(synchronize_session=False))
    return int(done.rowcount or 0)


async def forget_handoff(session: AsyncSession, user_key: str) -> None:
    """``/forget``: the handoff row and the address go (part of ``delete_user``)."""
    await session.execute(delete(Handoff).where(Handoff.user_key == user_key))
    await delete_address(session, user_key)


async def purge_handoffs_before(session: AsyncSession, cutoff: datetime) -> int:
    """Retention: addresses unseen since ``cutoff`` and finished handoff rows older than it;
    returns addresses deleted. Part of ``purge_before``."""
    n = int((await session.execute(
        delete(ContactAddress).where(ContactAddress.last_seen_at < cutoff)
        .execution_options(synchronize_session=False))).rowcount or 0)
    await session.execute(delete(Handoff).where(
        and_(~Handoff.state.in_(_ACTIVE), Handoff.updated_at < cutoff)))
    return n


# --- the operator's turn in the log ----------------------------------------------------------
async def log_operator_turn(
    session: AsyncSession, *, message_id: str, user_key: str, conversation_id: str,
    platform: str, operator: str, text: str, now: datetime,
) -> None:
    """The operator's message as a turn of the conversation (role ``operator``), so the
    transcript shows who said what. The user and conversation rows are created when the
    log writer has not written them yet (it fills in the rest when it does)."""
    if await session.get(User, user_key) is None:
        try:
            async with session.begin_nested():
                session.add(User(id=user_key, platform=platform, created_at=now,
                                 last_seen_at=now))
        except IntegrityError:
            pass
    conv = await session.get(Conversation, conversation_id)
    if conv is None:
        try:
            async with session.begin_nested():
                session.add(Conversation(id=conversation_id, user_id=user_key, platform=platform,
                                         started_at=now, last_message_at=now))
        except IntegrityError:
            pass
    else:
        conv.last_message_at = max(_utc(conv.last_message_at), now)
    session.add(Message(id=message_id, conversation_id=conversation_id, user_id=user_key,
                        platform=platform, role="operator", text=text, kind="operator",
                        crisis=False, operator=operator, created_at=now))


async def count_addresses(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(ContactAddress)) or 0)


async def conversation_of_ref(session: AsyncSession, user_ref: str) -> str | None:
    """The open conversation of the user whose pseudonymous reference is ``user_ref`` (what
    an alert shows), found through the sealed address; None when the user cannot be reached
    or the reference is ambiguous (two keys sharing the prefix: take it in /admin)."""
    if not user_ref or not all(c in "0123456789abcdef" for c in user_ref):
        return None
    found = list(await session.scalars(
        select(ContactAddress.conversation_id)
        .where(ContactAddress.user_key.startswith(user_ref, autoescape=True)).limit(2)))
    return found[0] if len(found) == 1 else None
