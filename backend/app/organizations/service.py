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


def create(*, db: Session, name: str, reporting_currency: str = "GBP") -> Organization:
    """Create an organization (a retail business)."""
    org = Organization(name=name, reporting_currency=reporting_currency)
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
    """Rename the organization or change its reporting currency."""
    org = get(db=db, org_id=org_id)
    changes = org_in.model_dump(exclude_unset=True, exclude_none=True)
    currency = changes.get("reporting_currency")
    if currency is not None and currency not in REPORTING_CURRENCIES:
        raise InvalidField(
            "reporting_currency", f"{currency} is not a currency we have exchange rates for"
        )
    for field, value in changes.items():
        setattr(org, field, value)
    db.flush()
    return org
