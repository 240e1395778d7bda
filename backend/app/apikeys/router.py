from __future__ import annotations

from fastapi import APIRouter, status

from app.apikeys import service as key_service
from app.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPage, ApiKeyRead
from app.auth.deps import AdminUser
from app.core.deps import DbSession
from app.core.inputs import DbId
from app.core.routing import BoundedJsonRoute

router = APIRouter(prefix="/api-keys", tags=["api-keys"], route_class=BoundedJsonRoute)


@router.get("", response_model=ApiKeyPage)
def list_api_keys(db: DbSession, admin: AdminUser) -> ApiKeyPage:
    """The organization's API keys, revoked ones included (never their secrets)."""
    return key_service.list_keys(db=db, org_id=admin.org_id)


@router.post("", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(key_in: ApiKeyCreate, db: DbSession, admin: AdminUser) -> ApiKeyCreated:
    """Create a key for the people-counter intake; `key` is in this answer only, never again."""
    return key_service.create(db=db, user=admin, key_in=key_in)


@router.delete("/{key_id}", response_model=ApiKeyRead)
def revoke_api_key(key_id: DbId, db: DbSession, admin: AdminUser) -> ApiKeyRead:
    """Revoke a key at once (it then gets 401); revoking it again changes nothing."""
    return key_service.revoke(db=db, org_id=admin.org_id, key_id=key_id)
