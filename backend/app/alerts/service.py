"""Alert rules (read, replace, the rule in force at a store), who receives alerts, and the list of
occurrences. The evaluation that finds occurrences and mails them is app/alerts/evaluation.py.

Rules: each kind has an organization rule (its defaults, `DEFAULTS`, until an admin saves one)
and stores may override it: at a store, its own rule of a kind replaces the organization's
whole (switch and parameters). The connection and exchange-rate rules are the organization's
only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.alerts.models import AlertKind, AlertOccurrence, AlertRule, AlertSettings
from app.alerts.schemas import (
    AlertOccurrenceRead,
    AlertRuleIn,
    AlertRuleRead,
    AlertRulesRead,
    AlertRulesUpdate,
    QuietHours,
    StoreOverridesUpdate,
)
from app.core.errors import InvalidField
from app.locations import service as location_service
from app.locations.models import Location, UserLocation
from app.notifications.models import NotificationSettings
from app.users.models import Role, User

ORG_SCOPE = "org"
STORE_KINDS = (
    AlertKind.sales_low,
    AlertKind.sales_high,
    AlertKind.transactions_low,
    AlertKind.transactions_high,
    AlertKind.conversion_low,
    AlertKind.footfall_missing,
)
ORG_ONLY_KINDS = (AlertKind.square_connection, AlertKind.rates_stale)
USUAL_KINDS = STORE_KINDS[:4]  # judged against the usual for the weekday
PARAMETERS: dict[AlertKind, tuple[str, ...]] = {
    **dict.fromkeys(USUAL_KINDS, ("threshold_percent", "weeks", "by_hour")),
    AlertKind.conversion_low: ("floor_percent",),
    AlertKind.footfall_missing: ("at_hour",),
    AlertKind.square_connection: (),
    AlertKind.rates_stale: (),
}
ALL_PARAMETERS = ("threshold_percent", "weeks", "by_hour", "floor_percent", "at_hour")


@dataclass(frozen=True)
class Rule:
    """A rule in force: its switch and parameters (None where its kind has none)."""

    kind: AlertKind
    enabled: bool
    threshold_percent: int | None = None
    weeks: int | None = None
    by_hour: int | None = None  # None: yesterday's whole day
    floor_percent: int | None = None
    at_hour: int | None = None


# A new organization is alerted about a weak day, missing footfall, a broken connection and stale
# rates; the rest are there to switch on.
DEFAULTS: dict[AlertKind, Rule] = {
    AlertKind.sales_low: Rule(AlertKind.sales_low, True, threshold_percent=30, weeks=6),
    AlertKind.sales_high: Rule(AlertKind.sales_high, False, threshold_percent=30, weeks=6),
    AlertKind.transactions_low: Rule(
        AlertKind.transactions_low, False, threshold_percent=30, weeks=6
    ),
    AlertKind.transactions_high: Rule(
        AlertKind.transactions_high, False, threshold_percent=30, weeks=6
    ),
    AlertKind.conversion_low: Rule(AlertKind.conversion_low, False, floor_percent=10),
    AlertKind.footfall_missing: Rule(AlertKind.footfall_missing, True, at_hour=10),
    AlertKind.square_connection: Rule(AlertKind.square_connection, True),
    AlertKind.rates_stale: Rule(AlertKind.rates_stale, True),
}


@dataclass(frozen=True)
class RuleSet:
    """An organization's rules as the evaluation reads them."""

    quiet: QuietHours
    org: dict[AlertKind, Rule]
    stores: dict[tuple[int, AlertKind], Rule]

    def at(self, kind: AlertKind, location_id: int | None) -> Rule:
        """The rule of `kind` in force at a store (None: the organization's)."""
        if location_id is not None:
            found = self.stores.get((location_id, kind))
            if found is not None:
                return found
        return self.org[kind]


def _rule_of(row: AlertRule) -> Rule:
    default = DEFAULTS[row.kind]
    values = {name: getattr(row, name) for name in PARAMETERS[row.kind]}
    # A parameter stored as null takes its default (by_hour's default is null: a whole day).
    filled = {k: v if v is not None else getattr(default, k) for k, v in values.items()}
    return replace(default, enabled=row.enabled, **filled)


def quiet_hours(db: Session, org_id: int) -> QuietHours:
    row = db.get(AlertSettings, org_id)
    if row is None:
        return QuietHours()
    return QuietHours(
        enabled=row.quiet_hours_enabled, from_hour=row.quiet_from_hour, to_hour=row.quiet_to_hour
    )


def rule_set(db: Session, org_id: int) -> RuleSet:
    org = dict(DEFAULTS)
    stores: dict[tuple[int, AlertKind], Rule] = {}
    for row in db.scalars(select(AlertRule).where(AlertRule.org_id == org_id)):
        if row.location_id is None:
            org[row.kind] = _rule_of(row)
        else:
            stores[(row.location_id, row.kind)] = _rule_of(row)
    return RuleSet(quiet=quiet_hours(db, org_id), org=org, stores=stores)


def _read(rule: Rule, location: Location | None = None) -> AlertRuleRead:
    shown = {name: getattr(rule, name) for name in PARAMETERS[rule.kind]}
    return AlertRuleRead(
        kind=rule.kind,
        location_id=location.id if location else None,
        location_name=location.name if location else None,
        enabled=rule.enabled,
        **shown,
    )


def read_rules(*, db: Session, user: User) -> AlertRulesRead:
    """Every kind's organization rule and the overrides of the stores the user may see."""
    rules = rule_set(db, user.org_id)
    visible = {loc.id: loc for loc in location_service.list_locations(db=db, user=user)}
    overrides = [
        _read(rule, visible[location_id])
        for (location_id, _), rule in rules.stores.items()
        if location_id in visible
    ]
    overrides.sort(key=lambda r: (r.location_name or "", list(AlertKind).index(r.kind)))
    return AlertRulesRead(
        quiet_hours=rules.quiet,
        rules=[_read(rules.org[kind]) for kind in AlertKind],
        overrides=overrides,
    )


def _check(rule: AlertRuleIn, field: str) -> None:
    for name in ALL_PARAMETERS:
        if name not in PARAMETERS[rule.kind] and getattr(rule, name) is not None:
            raise InvalidField(f"{field}.{name}", f"A {rule.kind.value} rule has no {name}")


def replace_rules(*, db: Session, admin: User, body: AlertRulesUpdate) -> AlertRulesRead:
    """Save the whole rule set (owner or admin): checked in full before anything is written."""
    seen: set[AlertKind] = set()
    for i, rule in enumerate(body.rules):
        field = f"rules.{i}"
        if rule.location_id is not None:
            raise InvalidField(
                f"{field}.location_id", "A store's rule goes in overrides, not in rules"
            )
        if rule.kind in seen:
            raise InvalidField(f"{field}.kind", f"{rule.kind.value} is listed twice")
        seen.add(rule.kind)
        _check(rule, field)
    _check_overrides(db=db, user=admin, overrides=body.overrides)
    settings = db.get(AlertSettings, admin.org_id)
    if settings is None:
        settings = AlertSettings(org_id=admin.org_id)
        db.add(settings)
    settings.quiet_hours_enabled = body.quiet_hours.enabled
    settings.quiet_from_hour = body.quiet_hours.from_hour
    settings.quiet_to_hour = body.quiet_hours.to_hour
    db.execute(delete(AlertRule).where(AlertRule.org_id == admin.org_id))
    for rule in [*body.rules, *body.overrides]:
        db.add(_row(admin.org_id, rule))
    db.flush()
    return read_rules(db=db, user=admin)


def replace_store_overrides(
    *, db: Session, user: User, body: StoreOverridesUpdate
) -> AlertRulesRead:
    """Save the overrides of the named stores (a manager tunes their own stores' rules), checked
    in full before anything is written; the rest of the rule set is left as it is."""
    stores = location_service.check_access(
        db=db, user=user, location_ids=body.location_ids, field="location_ids"
    )
    named = {store.id for store in stores}
    for i, rule in enumerate(body.overrides):
        if rule.location_id is not None and rule.location_id not in named:
            raise InvalidField(
                f"overrides.{i}.location_id",
                f"Store {rule.location_id} is not among location_ids",
            )
    _check_overrides(db=db, user=user, overrides=body.overrides)
    db.execute(
        delete(AlertRule).where(
            AlertRule.org_id == user.org_id, AlertRule.location_id.in_(sorted(named))
        )
    )
    for rule in body.overrides:
        db.add(_row(user.org_id, rule))
    db.flush()
    return read_rules(db=db, user=user)


def _check_overrides(*, db: Session, user: User, overrides: list[AlertRuleIn]) -> None:
    """Each override names a store of the user's, a kind a store may override, once, and only
    the parameters of its kind."""
    pairs: set[tuple[int, AlertKind]] = set()
    for i, rule in enumerate(overrides):
        field = f"overrides.{i}"
        if rule.location_id is None:
            raise InvalidField(f"{field}.location_id", "A store override names its store")
        if rule.kind not in STORE_KINDS:
            raise InvalidField(
                f"{field}.kind", f"{rule.kind.value} is a rule of the organization, not a store's"
            )
        if (rule.location_id, rule.kind) in pairs:
            raise InvalidField(
                f"{field}.kind", f"Store {rule.location_id} has two {rule.kind.value} overrides"
            )
        pairs.add((rule.location_id, rule.kind))
        _check(rule, field)
    store_ids = sorted({location_id for location_id, _ in pairs})
    location_service.check_access(
        db=db, user=user, location_ids=store_ids, field="overrides.location_id"
    )


def _row(org_id: int, rule: AlertRuleIn) -> AlertRule:
    return AlertRule(
        org_id=org_id,
        location_id=rule.location_id,
        scope=ORG_SCOPE if rule.location_id is None else str(rule.location_id),
        kind=rule.kind,
        enabled=rule.enabled,
        **{name: getattr(rule, name) for name in PARAMETERS[rule.kind]},
    )


def recipients(db: Session, org_id: int, location_id: int | None) -> list[User]:
    """Who is mailed an alert: the organization's active, signed-up owners and admins always;
    its managers only for an alert about a store granted to them (`UserLocation`, as the
    reports' access check); viewers never; and none who switched alert e-mails off
    (Settings → Notifications: `notification_settings.alerts_email`)."""
    users = db.scalars(
        select(User)
        .where(
            User.org_id == org_id,
            User.is_active.is_(True),
            User.password_hash.is_not(None),
            User.role.in_([Role.owner, Role.admin, Role.manager]),
        )
        .order_by(User.id)
    ).all()
    granted: set[int] = set()
    if location_id is not None:
        granted = set(
            db.scalars(select(UserLocation.user_id).where(UserLocation.location_id == location_id))
        )
    off = set(
        db.scalars(
            select(NotificationSettings.user_id).where(
                NotificationSettings.org_id == org_id, NotificationSettings.alerts_email.is_(False)
            )
        )
    )
    return [u for u in users if (u.role != Role.manager or u.id in granted) and u.id not in off]


def list_occurrences(
    *, db: Session, user: User, state: str | None, limit: int, offset: int
) -> tuple[list[AlertOccurrenceRead], int]:
    """The organization's occurrences, newest first; a manager sees only their stores'."""
    where = [AlertOccurrence.org_id == user.org_id]
    allowed = location_service.granted_ids(db=db, user=user)
    if allowed is not None:
        where.append(AlertOccurrence.location_id.in_(allowed))
    if state == "open":
        where.append(AlertOccurrence.closed_at.is_(None))
    elif state == "closed":
        where.append(AlertOccurrence.closed_at.is_not(None))
    total = db.scalar(select(func.count()).select_from(AlertOccurrence).where(*where)) or 0
    rows = db.execute(
        select(AlertOccurrence, Location.name)
        .outerjoin(Location, Location.id == AlertOccurrence.location_id)
        .where(*where)
        .order_by(AlertOccurrence.found_at.desc(), AlertOccurrence.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    items = [
        AlertOccurrenceRead.model_validate(
            {
                **{c: getattr(row, c) for c in AlertOccurrenceRead.model_fields if hasattr(row, c)},
                "location_name": name,
                "open": row.closed_at is None,
            }
        )
        for row, name in rows
    ]
    return items, total
