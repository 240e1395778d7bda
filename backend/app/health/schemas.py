from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

PartStatus = Literal["ok", "error", "not_configured"]


class HealthRead(BaseModel):
    status: Literal["ok", "degraded", "error"]
    version: str
    database: PartStatus
    redis: PartStatus
    worker: PartStatus
