"""The user's platform address, encrypted at rest with AES-GCM (``HANDOFF_KEY``).

Why encrypt: a Telegram chat id or a Discord channel id leads straight to a person; the
database (and its backups) must not hold it readable. The key lives only in the
environment. Each address is sealed with a fresh 12-byte nonce and the user's pseudonymous
key as associated data, so a ciphertext copied onto another user's row does not open.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import ConfigError

KEY_BYTES = 32
NONCE_BYTES = 12


def new_key() -> str:
    """A fresh ``HANDOFF_KEY`` (base64 of 32 random bytes), for ``buddy handoff keygen``."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def decode_key(value: str) -> bytes:
    """``HANDOFF_KEY`` as 32 bytes; ConfigError saying how to make one otherwise."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise ConfigError("HANDOFF_KEY must be base64 of 32 random bytes; make one with "
                          "`buddy handoff keygen` and put it in .env as HANDOFF_KEY=...")
    return raw


class AddressBox:
    """Seals and opens addresses with one key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, address: str, user_key: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, address.encode("utf-8"), user_key.encode())

    def open(self, sealed: bytes, user_key: str) -> str | None:
        """The address, or ``None`` when it was sealed with another key or for another user."""
        try:
            plain = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                       user_key.encode())
        except (InvalidTag, ValueError):
            return None
        return plain.decode("utf-8")
