from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.deps import AdminUser, CurrentSignIn, CurrentUser
from app.core.deps import ClientAddress, DbSession
from app.core.inputs import DbId
from app.core.routing import BoundedJsonRoute
from app.users import service as user_service
from app.users.models import User
from app.users.schemas import (
    EmailChangeIn,
    EmailChangeSent,
    MeRead,
    MeUpdate,
    UserCreate,
    UserCreated,
    UserPage,
    UserRead,
    UserUpdate,
)

router = APIRouter(prefix="/users", tags=["users"], route_class=BoundedJsonRoute)


@router.get("/me", response_model=MeRead)
def read_me(user: CurrentUser) -> User:
    return user


@router.patch("/me", response_model=MeRead)
def update_me(
    me_in: MeUpdate, db: DbSession, sign_in: CurrentSignIn, address: ClientAddress
) -> User:
    return user_service.update_me(
        db=db, user=sign_in.user, me_in=me_in, address=address, session_id=sign_in.session_id
    )


@router.post("/me/email", response_model=EmailChangeSent, status_code=status.HTTP_202_ACCEPTED)
def request_email_change(
    change_in: EmailChangeIn, db: DbSession, sign_in: CurrentSignIn, address: ClientAddress
) -> EmailChangeSent:
    """Ask to sign in with another address: a confirmation link goes to it (the address changes
    when the link is opened) and a notice to the current one. Needs the current password."""
    return user_service.request_email_change(
        db=db, user=sign_in.user, change_in=change_in, address=address
    )


@router.get("", response_model=UserPage)
def list_users(db: DbSession, admin: AdminUser) -> UserPage:
    users = user_service.list_users(db=db, org_id=admin.org_id)
    return UserPage(items=[UserRead.model_validate(u) for u in users], total=len(users))


@router.post("", response_model=UserCreated, status_code=status.HTTP_201_CREATED)
def create_user(user_in: UserCreate, db: DbSession, admin: AdminUser) -> UserCreated:
    user, invite_token = user_service.create(
        db=db, org_id=admin.org_id, user_in=user_in, created_by=admin
    )
    return UserCreated(user=UserRead.model_validate(user), invite_token=invite_token)


@router.get("/{user_id}", response_model=UserRead)
def read_user(user_id: DbId, db: DbSession, admin: AdminUser) -> User:
    return user_service.get(db=db, org_id=admin.org_id, user_id=user_id)


@router.patch("/{user_id}", response_model=UserRead)
def update_user(user_id: DbId, user_in: UserUpdate, db: DbSession, admin: AdminUser) -> User:
    return user_service.update(
        db=db, org_id=admin.org_id, user_id=user_id, user_in=user_in, actor=admin
    )


@router.post("/{user_id}/invite", response_model=UserCreated)
def resend_invite(user_id: DbId, db: DbSession, admin: AdminUser) -> UserCreated:
    """Mail a new invitation link to a user who has not accepted yet (the old link stops
    working); the token is returned too, for copying the link by hand."""
    user, token = user_service.resend_invite(
        db=db, org_id=admin.org_id, user_id=user_id, actor=admin
    )
    return UserCreated(user=UserRead.model_validate(user), invite_token=token)


@router.delete("/{user_id}/invite", response_model=UserRead)
def revoke_invite(user_id: DbId, db: DbSession, admin: AdminUser) -> User:
    """Make a pending invitation's link stop working."""
    return user_service.revoke_invite(db=db, org_id=admin.org_id, user_id=user_id)
