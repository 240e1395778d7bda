from __future__ import annotations

from sqlalchemy.orm import Session

from app.core.errors import InvalidField, NotFound
from app.organizations.models import Organization
from app.organizations.schemas import OrganizationUpdate

# ISO 4217 codes the ECB publishes reference rates for (the reporting currencies we can convert to).
REPORTING_CURRENCIES = frozenset(
    {
        "AUD",
        "BGN",
        "BRL",
        "CAD",
        "CHF",
        "CNY",
        "CZK",
        "DKK",
        "EUR",
        "GBP",
        "HKD",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "ISK",
        "JPY",
        "KRW",
        "MXN",
        "MYR",
        "NOK",
        "NZD",
        "PHP",
        "PLN",
        "RON",
        "SEK",
        "SGD",
        "THB",
        "TRY",
        "USD",
        "ZAR",
    }
)


DEFAULT_REPORTING_CURRENCY = "GBP"  # until the first Square account is connected
DEFAULT_TIMEZONE = "Europe/London"  # until the organization has stores


def create(*, db: Session, name: str, reporting_currency: str | None = None) -> Organization:
    """Create an organization (a retail business). Without a reporting currency it reports in
    the default until its first Square account is connected, then in that account's currency."""
    org = Organization(
        name=name,
        reporting_currency=reporting_currency or DEFAULT_REPORTING_CURRENCY,
        reporting_currency_chosen=reporting_currency is not None,
    )
    db.add(org)
    db.flush()
    return org


def get(*, db: Session, org_id: int) -> Organization:
    """The organization, or NotFound."""
    org = db.get(Organization, org_id)
    if org is None:
        raise NotFound("organization", org_id)
    return org


def update(*, db: Session, org_id: int, org_in: OrganizationUpdate) -> Organization:
    """Rename the organization or change its reporting currency or timezone."""
    org = get(db=db, org_id=org_id)
    changes = org_in.model_dump(exclude_unset=True, exclude_none=True)
    currency = changes.get("reporting_currency")
    if currency is not None and currency not in REPORTING_CURRENCIES:
        raise InvalidField(
            "reporting_currency", f"{currency} is not a currency we have exchange rates for"
        )
    for field, value in changes.items():
        setattr(org, field, value)
    if currency is not None:
        # Chosen by a person: connecting Square accounts no longer changes it.
        org.reporting_currency_chosen = True
    if changes.get("timezone") is not None:
        # Likewise: adding or moving stores no longer changes it.
        org.timezone_chosen = True
    db.flush()
    return org


def follow_store_timezone(*, db: Session, org_id: int, timezone: str | None) -> bool:
    """Take `timezone`, the most common of the organization's stores (the caller counts them;
    None without stores), unless a person chose the organization's timezone. Returns whether
    it changed."""
    org = get(db=db, org_id=org_id)
    wanted = timezone or DEFAULT_TIMEZONE
    if org.timezone_chosen or org.timezone == wanted:
        return False
    org.timezone = wanted
    db.flush()
    return True


def adopt_account_currency(*, db: Session, org_id: int, currency: str | None) -> bool:
    """Report in the currency of the organization's first connected Square account, unless a
    person chose the reporting currency (METRICS.md "Currency"); the caller decides that the
    account is the first. Returns whether the reporting currency changed."""
    org = get(db=db, org_id=org_id)
    code = (currency or "").upper()
    if org.reporting_currency_chosen or code not in REPORTING_CURRENCIES:
        return False
    changed = org.reporting_currency != code
    org.reporting_currency = code
    db.flush()
    return changed
