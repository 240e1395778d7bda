"""Builders for test data, through the services (never raw SQL)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core import crypto
from app.locations import service as location_service
from app.locations.models import Location
from app.locations.schemas import LocationCreate
from app.organizations import service as org_service
from app.square import sync
from app.square.models import SquareConnection, SyncRun
from app.users import service as user_service
from app.users.models import Role, User
from app.users.schemas import UserCreate

PASSWORD = "Correct-Horse-42"
_seq = itertools.count(1)


@dataclass
class Member:
    user: User
    email: str
    password: str
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        assert self.token, "log in first"
        return {"Authorization": f"Bearer {self.token}"}


def make_org(db: Session, name: str | None = None) -> int:
    org = org_service.create(db=db, name=name or f"Org {next(_seq)}")
    db.commit()
    return org.id


def make_user(
    db: Session, *, org_id: int, role: Role = Role.owner, email: str | None = None
) -> Member:
    email = email or f"user{next(_seq)}@example.com"
    user, _ = user_service.create(
        db=db,
        org_id=org_id,
        user_in=UserCreate(email=email, full_name=f"User {email}", role=role, password=PASSWORD),
    )
    db.commit()
    return Member(user=user, email=email, password=PASSWORD)


def login(client: TestClient, member: Member) -> Member:
    response = client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": member.password}
    )
    assert response.status_code == 200, response.text
    member.token = response.json()["access_token"]
    return member


def member_of(client: TestClient, db: Session, *, org_id: int, role: Role) -> Member:
    return login(client, make_user(db, org_id=org_id, role=role))


def make_location(
    db: Session,
    *,
    org_id: int,
    name: str | None = None,
    timezone: str = "Europe/London",
    currency: str = "GBP",
    **extra: object,
) -> Location:
    location = location_service.create(
        db=db,
        org_id=org_id,
        location_in=LocationCreate(
            name=name or f"Store {next(_seq)}", timezone=timezone, currency=currency, **extra
        ),
    )
    db.commit()
    return location


def make_connection(
    db: Session, *, org_id: int, merchant_id: str | None = None, access_token: str = "token"
) -> SquareConnection:
    """A connected Square account as the OAuth callback leaves it (tokens encrypted)."""
    connection = SquareConnection(
        org_id=org_id,
        merchant_id=merchant_id or f"MERCHANT{next(_seq)}",
        merchant_name="Test merchant",
        scopes="ORDERS_READ",
        access_token_enc=crypto.encrypt(access_token),
        refresh_token_enc=crypto.encrypt("refresh-" + access_token),
    )
    db.add(connection)
    db.commit()
    return connection


def make_sync_run(db: Session, *, connection: SquareConnection) -> SyncRun:
    [run] = sync.start(
        db=db,
        org_id=connection.org_id,
        connection_id=connection.id,
        trigger="manual",
        dispatch=False,
    )
    db.commit()
    return run
