"""Nothing the whole test run logged holds a password, a hash, a token or a secret (issue #20).

Collected last (tests/conftest.py), so it reads what every other test of this run logged; see
tests/log_secrets.py for what is looked for and what is not read.
"""

from __future__ import annotations

import logging
import os

from tests.conftest import _state
from tests.factories import PASSWORD
from tests.log_secrets import find_secrets


def test_the_run_logged_no_secret() -> None:
    handler = _state["run_log"]
    logging.getLogger().warning("the run's log is checked now")
    lines = handler.path.read_text(encoding="utf-8").splitlines()
    assert any("the run's log is checked now" in line for line in lines), "nothing was recorded"
    literals = [PASSWORD, os.environ["SECRET_KEY"], *os.environ["ENCRYPTION_KEY"].split(",")]
    found = find_secrets(lines, literals)
    assert not found, f"{len(found)} log lines hold secrets:\n" + "\n".join(found[:20])


def test_the_search_finds_each_kind_of_secret() -> None:
    from app.core.crypto import encrypt
    from app.core.security import create_access_token, hash_password

    token, _ = create_access_token(user_id=1, org_id=1, token_version=0, session_id="s")
    samples = {
        "a JSON web token": f"refused token {token}",
        "an Argon2 hash": f"INSERT ... ({hash_password('Whatever-123')!r})",
        "a Fernet token": f"stored {encrypt('EAAAsquare-access-token-of-a-seller-xyz')}",
        "a Square access token": "Authorization: Bearer EAAAl0123456789abcdefghijklmnop",
        "a Square refresh token": "refresh_token=EQAAb0123456789abcdefghijklmnop",
        "a Square application secret": "client_secret=sq0csp-teliporter-local-simulator",
        "a Square authorization code": "GET /callback?code=sq0cgp-0123456789abcdef",
    }
    for kind, line in samples.items():
        [hit] = find_secrets([line], [])
        assert kind in hit, hit
    [literal] = find_secrets([f"password={PASSWORD}"], [PASSWORD])
    assert "literal secret" in literal
    assert find_secrets(['{"msg": "GET /api/v1/health 200"}'], [PASSWORD]) == []
