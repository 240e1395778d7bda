"""The counter intake's caller: an organization API key, from `Authorization: Bearer <key>` or
`X-API-Key: <key>`, rate limited per key. Only the intake depends on this; every other route
takes a user's access token (app/auth/deps.py), which a key is not."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.apikeys import service as key_service
from app.apikeys.models import ApiKey
from app.core import ratelimit
from app.core.config import get_settings
from app.core.deps import DbSession
from app.core.errors import Unauthorized

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="CounterApiKeyBearer",
    description="An organization API key (tpk_…) from Settings → API keys",
)
_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="CounterApiKeyHeader",
    description="The same key in a header of its own, for counters that cannot set Authorization",
)


def get_api_key(
    db: DbSession,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> ApiKey:
    presented = header or (bearer.credentials if bearer else None)
    if not presented:
        raise Unauthorized("An API key is required (Authorization: Bearer <key> or X-API-Key)")
    key = key_service.authenticate(db=db, key=presented.strip())
    settings = get_settings()
    ratelimit.hit(
        f"apikey:{key.prefix}",  # unique and random: never shared with an earlier key
        limit=settings.COUNTER_API_MAX_REQUESTS,
        window_seconds=settings.COUNTER_API_WINDOW_SECONDS,
        message=f"This API key may make {settings.COUNTER_API_MAX_REQUESTS} requests every "
        f"{settings.COUNTER_API_WINDOW_SECONDS} seconds",
    )
    return key


CounterKey = Annotated[ApiKey, Depends(get_api_key)]
