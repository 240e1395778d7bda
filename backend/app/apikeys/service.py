"""Organization API keys: create (the secret shown once), list, revoke, and authenticate a key.

A key reads `tpk_<prefix>_<secret>`: a 12-character random prefix that finds the row and 32
random bytes (base64url). Only sha256 of the whole key is stored and compared in constant time.
Keys authenticate the people-counter intake only (app/footfall/counters.py), never the rest of
the API, whose bearer tokens are signed access tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.apikeys.models import ApiKey
from app.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPage, ApiKeyRead
from app.core.db import utcnow
from app.core.errors import NotFound, Unauthorized
from app.locations.models import Location
from app.users.models import User

KEY_PREFIX = "tpk_"
# last_used_at is written when it is older than this: a counter pushing every few seconds must not
# turn each request into a write to the same row.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(*, db: Session, user: User, key_in: ApiKeyCreate) -> ApiKeyCreated:
    """Make a key for the user's organization; the answer is the only time the key is shown."""
    scope = None
    if key_in.location_ids is not None:
        scope = sorted(set(key_in.location_ids))
        found = set(
            db.scalars(
                select(Location.id).where(Location.org_id == user.org_id, Location.id.in_(scope))
            )
        )
        unknown = [i for i in scope if i not in found]
        if unknown:  # another organization's too: the same answer, no leak
            raise NotFound("location", unknown[0])
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        org_id=user.org_id,
        name=key_in.name,
        prefix=prefix,
        secret_hash=digest(key),
        location_ids=scope,
        created_by_id=user.id,
    )
    db.add(row)
    db.flush()
    return ApiKeyCreated(**_read(row, user.full_name).model_dump(), key=key)


def list_keys(*, db: Session, org_id: int) -> ApiKeyPage:
    """The organization's keys, revoked ones included, newest first."""
    rows = db.execute(
        select(ApiKey, User.full_name)
        .outerjoin(User, User.id == ApiKey.created_by_id)
        .where(ApiKey.org_id == org_id)
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    ).all()
    return ApiKeyPage(items=[_read(key, name) for key, name in rows], total=len(rows))


def revoke(*, db: Session, org_id: int, key_id: int) -> ApiKeyRead:
    """Revoke a key at once; revoking it again changes nothing (its first revocation time stays)."""
    key = db.get(ApiKey, key_id)
    if key is None or key.org_id != org_id:
        raise NotFound("API key", key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.flush()
    name = db.scalar(select(User.full_name).where(User.id == key.created_by_id))
    return _read(key, name)


def authenticate(*, db: Session, key: str) -> ApiKey:
    """The live key this secret is, or Unauthorized (the same answer whatever is wrong with it)."""
    parts = key.split("_")
    if len(parts) < 3 or not key.startswith(KEY_PREFIX):
        raise Unauthorized("Invalid API key")
    row = db.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if row is None or not hmac.compare_digest(row.secret_hash, digest(key)):
        raise Unauthorized("Invalid API key")
    if row.revoked_at is not None:
        raise Unauthorized("This API key has been revoked")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        db.flush()
    return row


def _read(key: ApiKey, creator: str | None) -> ApiKeyRead:
    return ApiKeyRead(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        location_ids=key.location_ids,
        created_by=key.created_by_id,
        created_by_name=creator,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )
