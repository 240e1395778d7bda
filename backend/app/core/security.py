"""Passwords, JWT access tokens and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.config import get_settings
from app.core.db import utcnow


@lru_cache
def _hasher() -> tuple[PasswordHash, str]:
    """The password hasher at the configured cost, and a hash to verify against when the
    account does not exist, so the timing does not tell."""
    settings = get_settings()
    password_hash = PasswordHash(
        (
            Argon2Hasher(
                time_cost=settings.PASSWORD_HASH_TIME_COST,
                memory_cost=settings.PASSWORD_HASH_MEMORY_KIB,
            ),
        )
    )
    return password_hash, password_hash.hash("dummy-password-for-timing")


COMMON_PASSWORDS = frozenset(
    {
        "password123",
        "password1234",
        "1234567890",
        "123456789a",
        "qwertyuiop",
        "qwerty12345",
        "iloveyou123",
        "letmein1234",
        "welcome1234",
        "admin12345",
        "changeme123",
        "passw0rd123",
        "teliporter1",
        "teliporter123",
    }
)

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why a password is not acceptable, in words a user can act on; None when it is fine."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Password must be at least {PASSWORD_MIN_LENGTH} characters long"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Password must be at most {PASSWORD_MAX_LENGTH} characters long"
    if not any(ch.isalpha() for ch in password) or all(ch.isalpha() for ch in password):
        return "Password must contain at least one letter and one digit or symbol"
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        return "Password is too common or repetitive; choose another"
    if email:
        local = email.split("@", 1)[0].lower()
        if len(local) >= 4 and local in password.lower():
            return "Password must not contain your email address"
    return None


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    password_hash, dummy = _hasher()
    if hashed is None:
        password_hash.verify(password, dummy)
        return False
    return password_hash.verify(password, hashed)


def create_access_token(
    *, user_id: int, org_id: int, token_version: int, session_id: str
) -> tuple[str, int]:
    """A signed access token for one session (refresh-token family) and its lifetime in seconds."""
    settings = get_settings()
    lifetime = settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60
    now = utcnow()
    payload = {
        "sub": str(user_id),
        "org": org_id,
        "type": "access",
        "ver": token_version,
        "sid": session_id,
        "iat": now,
        "exp": now + timedelta(seconds=lifetime),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, settings.SECRET_KEY, algorithm=settings.ALGORITHM), lifetime


def decode_access_token(token: str) -> dict[str, Any]:
    """The claims of a valid access token; raises jwt.PyJWTError otherwise."""
    settings = get_settings()
    claims: dict[str, Any] = jwt.decode(
        token,
        settings.SECRET_KEY,
        algorithms=[settings.ALGORITHM],
        options={"require": ["sub", "exp", "iat", "type"]},
    )
    if claims.get("type") != "access":
        raise jwt.InvalidTokenError("not an access token")
    return claims


EMAIL_CHANGE_HOURS = 24


def create_email_change_token(*, user_id: int, old_email: str, new_email: str) -> str:
    """A signed link token that moves `user_id` from `old_email` to `new_email`. Nothing is
    stored: it works once because, once used, the account's address is no longer `old_email`."""
    settings = get_settings()
    now = utcnow()
    payload = {
        "sub": str(user_id),
        "type": "email_change",
        "old": old_email,
        "new": new_email,
        "iat": now,
        "exp": now + timedelta(hours=EMAIL_CHANGE_HOURS),
    }
    return jwt.encode(payload, settings.SECRET_KEY, algorithm=settings.ALGORITHM)


def decode_email_change_token(token: str) -> dict[str, Any]:
    """The claims of a valid, unexpired change-of-address token; raises jwt.PyJWTError."""
    settings = get_settings()
    claims: dict[str, Any] = jwt.decode(
        token,
        settings.SECRET_KEY,
        algorithms=[settings.ALGORITHM],
        options={"require": ["sub", "exp", "type", "old", "new"]},
    )
    if claims.get("type") != "email_change":
        raise jwt.InvalidTokenError("not a change-of-address token")
    return claims


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Refresh and invite tokens are stored only as digests."""
    return hashlib.sha256(token.encode()).hexdigest()


def refresh_expiry(now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(days=get_settings().REFRESH_TOKEN_EXPIRE_DAYS)
