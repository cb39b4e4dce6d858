"""Moved to :mod:`bench.telegram_stub` (``buddy bench telegram`` uses it too); kept for tests."""
from bench.telegram_stub import BOT_USER, TOKEN, Call, Fault, TelegramStub, serve_app  # noqa: F401
