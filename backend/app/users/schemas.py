from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictBool, StringConstraints

from app.core.inputs import SingleLine, Text
from app.organizations.schemas import OrganizationRead
from app.users.models import Role

FullName = Annotated[
    SingleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
]
Password = Annotated[Text, Field(min_length=1, max_length=256)]


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    email: str
    full_name: str
    role: Role
    is_active: bool
    invite_pending: bool
    invite_open: bool = Field(
        description="An invitation link works now (pending, neither revoked nor expired)"
    )
    created_at: datetime


class MeRead(UserRead):
    organization: OrganizationRead


class UserCreate(BaseModel):
    """Create a user in the caller's organization; with no password, an invite is issued."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    full_name: FullName
    role: Role = Role.viewer
    password: Password | None = None


class UserCreated(BaseModel):
    user: UserRead
    invite_token: str | None = Field(
        default=None,
        description="One-time token for /auth/accept-invite when no password was given; "
        "shown only once.",
    )


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: FullName | None = None
    role: Role | None = None
    is_active: StrictBool | None = None


class MeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: FullName | None = None
    current_password: Password | None = None
    new_password: Password | None = None


class EmailChangeIn(BaseModel):
    """Move one's sign-in address: the current password, and the new address (which must
    confirm it from a link mailed to it)."""

    model_config = ConfigDict(extra="forbid")

    new_email: EmailStr
    current_password: Password


class EmailChangeSent(BaseModel):
    pending_email: str = Field(description="The address the confirmation link was mailed to")
    expires_in_hours: int


class EmailConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=2048)


class UserPage(BaseModel):
    items: list[UserRead]
    total: int
