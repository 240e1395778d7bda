from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr

from app.organizations.schemas import OrganizationRead, OrgName
from app.users.schemas import FullName, Password, UserRead


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Password
    full_name: FullName
    organization_name: OrgName


class RegisterOut(BaseModel):
    user: UserRead
    organization: OrganizationRead


class LoginIn(BaseModel):
    email: EmailStr
    password: Password


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int


class AcceptInviteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str
    password: Password


class ForgotPasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr


class ResetPasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str
    password: Password
