"""Who an alert is mailed to: owners and admins, managers of the store, never viewers, and no
one who switched alert e-mails off at Settings → Notifications (their own switch)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.alerts import service as alerts_service
from app.locations import service as location_service
from app.users.models import Role
from tests.factories import login, make_location, make_org, make_user


def test_alert_mail_goes_to_the_stores_people_who_have_not_switched_it_off(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    clapham = make_location(db, org_id=org_id, name="Clapham")
    soho = make_location(db, org_id=org_id, name="Soho")
    owner = make_user(db, org_id=org_id, role=Role.owner)
    admin = make_user(db, org_id=org_id, role=Role.admin)
    quiet_admin = make_user(db, org_id=org_id, role=Role.admin)
    clapham_manager = make_user(db, org_id=org_id, role=Role.manager)
    soho_manager = make_user(db, org_id=org_id, role=Role.manager)
    make_user(db, org_id=org_id, role=Role.viewer)
    for manager, store in ((clapham_manager, clapham), (soho_manager, soho)):
        location_service.set_grants(
            db=db, org_id=org_id, user_id=manager.user.id, location_ids=[store.id]
        )
    db.commit()

    switched = client.put(
        "/api/v1/users/me/notifications",
        json={"alerts": {"email": False}},
        headers=login(client, quiet_admin).headers,
    )
    assert switched.status_code == 200, switched.text
    assert switched.json()["alerts"] == {"email": False}

    def emails(location_id: int | None) -> set[str]:
        return {u.email for u in alerts_service.recipients(db, org_id, location_id)}

    assert emails(clapham.id) == {owner.email, admin.email, clapham_manager.email}
    assert emails(None) == {owner.email, admin.email}  # a connection's or the rates' alert
    # Switched back on, the admin hears of it again.
    on = client.put(
        "/api/v1/users/me/notifications",
        json={"alerts": {"email": True}},
        headers=login(client, quiet_admin).headers,
    )
    assert on.status_code == 200
    db.expire_all()
    assert quiet_admin.email in emails(soho.id)
