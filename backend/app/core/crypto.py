"""Encryption of secrets at rest (Square tokens) with Fernet.

ENCRYPTION_KEY is a comma-separated list, newest first (MultiFernet): new values are encrypted with
the first key, and any listed key decrypts, so a key is rotated by putting a new one in front,
re-encrypting (`python -m app.scripts.rotate_encryption`), then dropping the old one.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.core.config import get_settings


class DecryptionError(Exception):
    """A stored secret cannot be read with any configured ENCRYPTION_KEY."""


@lru_cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("ENCRYPTION_KEY is not set")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(get_settings().encryption_keys))


def encrypt(plain: str) -> str:
    return _current().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("stored secret cannot be decrypted with ENCRYPTION_KEY") from exc


def rotate(token: str) -> str:
    """Re-encrypt with the newest key."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("stored secret cannot be decrypted with ENCRYPTION_KEY") from exc
