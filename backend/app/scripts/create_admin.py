"""Create an owner, or reset an existing user's password and make them an owner.

    python -m app.scripts.create_admin --email ops@example.com --name "Ops" --org "Acme Retail"

Flags left out are asked for at the prompt (the password without echo). This is the deployment
plan's first-deploy step: `docker compose ... exec backend python -m app.scripts.create_admin`.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy.orm import Session

from app.core.db import session_scope
from app.core.errors import DomainError
from app.organizations import service as org_service
from app.users import service as user_service
from app.users.models import Role, User
from app.users.schemas import UserCreate


def ensure_owner(
    *, db: Session, email: str, password: str, full_name: str, org_name: str
) -> tuple[User, bool]:
    """The owner with this email and password; True when it was created, False when reset."""
    user_service.check_password(password, email=email)
    user = user_service.get_by_email(db=db, email=email)
    if user is not None:
        user_service.set_password(db=db, user=user, password=password)
        user.role = Role.owner
        user.is_active = True
        user.invite_token_digest = None
        user.invite_expires_at = None
        db.flush()
        return user, False
    org = org_service.create(db=db, name=org_name)
    user, _ = user_service.create(
        db=db,
        org_id=org.id,
        user_in=UserCreate(email=email, full_name=full_name, role=Role.owner, password=password),
    )
    return user, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--email", help="the owner's email (asked if left out)")
    parser.add_argument("--name", help="the owner's full name (asked if left out)")
    parser.add_argument("--org", help="organization name for a new owner (asked if left out)")
    parser.add_argument("--password", help="password (asked without echo if left out)")
    args = parser.parse_args(argv)

    email = args.email or input("Email: ").strip()
    full_name = args.name or input("Full name: ").strip()
    org_name = args.org or input("Organization name: ").strip()
    password = args.password
    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            print("Passwords do not match", file=sys.stderr)
            return 1
    try:
        with session_scope() as db:
            user, created = ensure_owner(
                db=db, email=email, password=password, full_name=full_name, org_name=org_name
            )
            verb = "Created" if created else "Reset"
            print(f"{verb} owner {user.email} of organization {user.organization.name!r}")
    except DomainError as exc:
        print(f"Error: {exc.detail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
