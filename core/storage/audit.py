"""The operators' audit trail (``audit_events``): every view, relabel, review, forget,
purge and export is recorded, in the caller's transaction, so an action never commits
without its record."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.storage.models import AuditEvent


async def record_audit(
    session: AsyncSession, actor: str, action: str, target: str | None = None,
    detail: str | None = None,
) -> None:
    """Record an operator action; never put message text or raw ids in ``detail``."""
    session.add(AuditEvent(actor=actor, action=action, target=target, detail=detail))
