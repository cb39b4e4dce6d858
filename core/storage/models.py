"""Tables of the conversation log. The schema itself is owned by Alembic (``migrations/``).

Users appear only as pseudonymous keys (HMAC of platform + platform id); nothing here can
be traced back to a platform account without the secret.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(AsyncAttrs, DeclarativeBase):
    """Declarative base with async attribute access."""


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # HMAC-SHA256 hex
    platform: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    conversations: Mapped[list[Conversation]] = relationship(back_populates="user")


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="conversations")
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.created_at"
    )


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_created_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(8))  # "user" | "bot"
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(24), default="text")  # message kind / reply kind
    category: Mapped[str | None] = mapped_column(String(128), index=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    crisis: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    signals: Mapped[str | None] = mapped_column(Text)  # JSON list of safety signals
    # the safety check's RiskLevel of a user's message (0 none … 6 imminent); NULL before it
    risk_level: Mapped[int | None] = mapped_column(SmallInteger)
    model_id: Mapped[str | None] = mapped_column(String(64))
    latency_ms: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # role "operator": the operator's name as in OPERATORS (a person talking during a handoff)
    operator: Mapped[str | None] = mapped_column(String(64))

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class Feedback(Base):
    """A correction or rating of one message: operators' relabels feed retraining."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    corrected_category: Mapped[str | None] = mapped_column(String(128))
    rating: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="operator")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AdminAuth(Base):
    """The ``/admin`` session generation, one row (id 1), so a logout outlives a restart.

    Every session cookie names the generation it was issued in; a logout (or a changed
    ``ADMIN_TOKEN``, noticed through the fingerprint) moves the generation on, and every
    older cookie is refused from then on, in every process. The fingerprint is an HMAC
    keyed by the token over a fixed string: it shows that the token changed, never the token.
    """

    __tablename__ = "admin_auth"
    __table_args__ = (UniqueConstraint("operator", name="uq_admin_auth_operator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    token_fingerprint: Mapped[str] = mapped_column(String(64))
    # whose sessions this row counts (OPERATORS' names; row 1 is ADMIN_TOKEN's "admin")
    operator: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEvent(Base):
    """Every operator action (view, relabel, review, forget, purge, export)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[str | None] = mapped_column(Text)


class ForgottenUser(Base):
    """A tombstone: this user asked to be forgotten at ``forgotten_at``.

    A turn of theirs accepted before that moment but written later (it waited in the
    writer's queue, or in the journal across a crash) is dropped instead of bringing the
    user back. Only the pseudonymous key is kept, as in ``users``.
    """

    __tablename__ = "forgotten_users"

    user_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    forgotten_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DialogueStateRow(Base):
    """The open conversation of one user, so every process continues the same one.

    Why a table and not process memory: a restart, a second ``buddy serve`` or a webhook
    behind a load balancer must know the topic, the question Buddy just asked and whether
    the user is in safety mode. No user text is kept here: the topic is a category, the
    question is Buddy's own text, ``given`` holds short ids of replies already sent (JSON).
    See ``core.storage.dialogue_state`` and ``docs/CONVERSATIONS.md``.
    """

    __tablename__ = "dialogue_states"

    user_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(36))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    topic: Mapped[str | None] = mapped_column(String(128))  # the category the talk is about
    topic_family: Mapped[str | None] = mapped_column(String(128))  # e.g. 배경/직장
    topic_confidence: Mapped[float | None] = mapped_column(Float)
    question: Mapped[str | None] = mapped_column(Text)  # the question Buddy last asked
    question_kind: Mapped[str | None] = mapped_column(String(16))  # duration|feeling|yesno|open
    safety_level: Mapped[int] = mapped_column(SmallInteger, default=0)
    safety_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    safety_turns: Mapped[int] = mapped_column(Integer, default=0)  # follow-ups used
    crisis_replies: Mapped[int] = mapped_column(Integer, default=0)
    given: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of reply ids
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Handoff(Base):
    """Where one user's conversation stands with the operators (``core.handoff.states``).

    One row per user (pseudonymous key), reused from one handoff to the next; the history is
    in ``audit_events``. ``operator`` is set only while held, and taking is a conditional
    UPDATE on ``operator IS NULL``, so two operators can never hold one conversation.
    """

    __tablename__ = "handoffs"

    user_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(36), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)  # HandoffState value
    operator: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_operator_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ContactAddress(Base):
    """How to reach a user on their platform, AES-GCM sealed (``core.handoff.crypto``).

    Kept only while the user's conversation is open, queued or held; deleted on ``/forget``,
    by the retention purge and when a handoff ends. Never shown to operators.
    """

    __tablename__ = "contact_addresses"

    user_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[str] = mapped_column(String(36), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # nonce + ciphertext + tag
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
