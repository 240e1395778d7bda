from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.inputs import DbId

KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class ApiKeyCreate(BaseModel):
    """A name to know the key by, and optionally the stores it may write (default: all)."""

    model_config = ConfigDict(extra="forbid")

    name: KeyName
    location_ids: list[DbId] | None = Field(
        default=None,
        min_length=1,
        max_length=10_000,
        description="The stores the key may send counts for; null or absent: every store",
    )


class ApiKeyRead(BaseModel):
    """A key as listed: never its secret."""

    id: int
    name: str
    prefix: str = Field(description="The key's visible part: tpk_<prefix>_…")
    location_ids: list[int] | None = Field(description="Its stores; null: every store")
    created_by: int | None
    created_by_name: str | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(description="Accurate to about a minute")
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The whole key: shown this once, never again")


class ApiKeyPage(BaseModel):
    items: list[ApiKeyRead]
    total: int
