from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

from app.core import crypto
from app.core.config import get_settings
from app.scripts import rotate_encryption
from app.square.models import SquareConnection
from tests.factories import make_connection, make_org


def test_rotation_keeps_every_token_readable(
    db: Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old_key = get_settings().ENCRYPTION_KEY
    connection = make_connection(db, org_id=make_org(db), access_token="seller-token-1")
    new_key = Fernet.generate_key().decode()

    # Step 1: new key first, old key still listed.
    monkeypatch.setattr(get_settings(), "ENCRYPTION_KEY", f"{new_key},{old_key}")
    assert rotate_encryption.main([]) == 0
    assert "Re-encrypted the tokens of 1" in capsys.readouterr().out

    # Step 3: the old key is gone and the token still reads.
    monkeypatch.setattr(get_settings(), "ENCRYPTION_KEY", new_key)
    db.expire_all()
    row = db.get(SquareConnection, connection.id)
    assert row is not None and row.access_token_enc is not None
    assert crypto.decrypt(row.access_token_enc) == "seller-token-1"


def test_rotation_without_the_old_key_fails_loudly_and_changes_nothing(
    db: Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    connection = make_connection(db, org_id=make_org(db))
    before = connection.access_token_enc
    monkeypatch.setattr(get_settings(), "ENCRYPTION_KEY", Fernet.generate_key().decode())
    assert rotate_encryption.main([]) == 1
    assert "old key" in capsys.readouterr().err
    db.expire_all()
    row = db.get(SquareConnection, connection.id)
    assert row is not None and row.access_token_enc == before
