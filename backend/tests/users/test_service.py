from __future__ import annotations

import traceback

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.db import get_sessionmaker
from app.core.errors import Conflict
from app.core.security import hash_password
from app.users import service as user_service
from app.users.models import Role
from app.users.schemas import UserCreate
from tests.factories import make_org, make_user


def test_a_database_error_names_the_statement_but_not_the_password_hash_or_name(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_id = make_org(db)
    taken = make_user(db, org_id=org_id).email
    # Two sign-ups with one e-mail at once: both pass the look-up, the second insert fails.
    monkeypatch.setattr(user_service, "get_by_email", lambda **_: None)
    hashes: list[str] = []

    def remembered_hash(password: str) -> str:
        hashes.append(hash_password(password))
        return hashes[-1]

    monkeypatch.setattr(user_service, "hash_password", remembered_hash)
    racing = get_sessionmaker()()
    try:
        # The race is answered 409; the database's error travels with it as the cause.
        with pytest.raises(Conflict) as caught:
            user_service.create(
                db=racing,
                org_id=org_id,
                user_in=UserCreate(
                    email=taken,
                    full_name="Priya Secretname",
                    role=Role.viewer,
                    password="Racing-Pass-42",
                ),
            )
    finally:
        racing.rollback()
        racing.close()
    assert isinstance(caught.value.__cause__, IntegrityError)
    shown = "".join(traceback.format_exception(caught.value))  # what a logged traceback shows
    assert "INSERT INTO" in shown
    assert hashes and hashes[0] not in shown
    assert "Priya Secretname" not in shown
    assert "Racing-Pass-42" not in shown
