from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import AdminUser, CurrentOrg
from app.core.deps import DbSession
from app.core.routing import BoundedJsonRoute
from app.organizations import service as org_service
from app.organizations.models import Organization
from app.organizations.schemas import OrganizationRead, OrganizationUpdate

router = APIRouter(prefix="/organization", tags=["organization"], route_class=BoundedJsonRoute)


@router.get("", response_model=OrganizationRead)
def read_organization(org: CurrentOrg) -> Organization:
    return org


@router.patch("", response_model=OrganizationRead)
def update_organization(
    org_in: OrganizationUpdate, db: DbSession, admin: AdminUser
) -> Organization:
    return org_service.update(db=db, org_id=admin.org_id, org_in=org_in)
