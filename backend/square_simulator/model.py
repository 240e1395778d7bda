"""Seller accounts, locations, catalogs and team members (generated from a seed in accounts.py),
local time at a location, and their Square JSON shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from .util import JSON, ms_to_rfc3339

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass
class Tax:
    id: str
    name: str
    percentage: str
    inclusion: str  # "INCLUSIVE" | "ADDITIVE"
    location_ids: list[str] | None = None  # None: present at all locations


@dataclass
class Variation:
    id: str
    item_id: str
    name: str
    price: int
    by_weight: bool = False


@dataclass
class Item:
    id: str
    name: str
    category_id: str
    variations: list[Variation]
    modifier_list_ids: list[str]
    tax_class: str  # "standard" | "reduced" | "zero"
    weight: float  # popularity


@dataclass
class Modifier:
    id: str
    list_id: str
    name: str
    price: int


@dataclass
class Catalog:
    categories: list[tuple[str, str]]  # (id, name)
    items: list[Item]
    modifier_lists: list[tuple[str, str, list[Modifier]]]  # (id, name, modifiers)
    taxes: list[Tax]
    discounts: list[JSON]  # {"id", "name", "type", "percentage"|"amount"}
    updated_at_ms: int
    variations_by_id: dict[str, tuple[Item, Variation]] = field(default_factory=dict)
    modifiers_by_id: dict[str, Modifier] = field(default_factory=dict)


@dataclass
class Location:
    id: str
    gidx: int  # global index, part of generated ids
    merchant_id: str
    name: str
    timezone: str
    currency: str
    country: str
    city: str
    address_line: str
    postcode: str
    created_at_ms: int
    hours: dict[int, tuple[int, int]]  # weekday (0=Mon) -> (open minute, close minute)
    base_rate: float  # mean completed sales on an ordinary Wednesday
    service_charge_pct: str | None = None
    tip_rate: float = 0.05
    generated: bool = True  # False for locations created through the API: no history
    status: str = "ACTIVE"
    tz: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.timezone)


@dataclass
class TeamMember:
    id: str
    given_name: str
    family_name: str
    email: str
    location_ids: list[str]
    is_owner: bool
    created_at_ms: int
    status: str = "ACTIVE"


@dataclass
class Account:
    idx: int
    merchant_id: str
    business_name: str
    country: str
    currency: str
    language_code: str
    locations: list[Location]
    catalog: Catalog
    team: list[TeamMember]
    personal_access_token: str
    created_at_ms: int
    tax_mode: str  # "INCLUSIVE" (VAT) or "ADDITIVE" (US sales tax)
    fee_bps: int  # card processing fee in basis points
    fee_fixed: int  # plus a fixed amount per card payment (US)


def taxes_for(account: Account, item: Item, location_id: str) -> list[Tax]:
    """Which catalog taxes apply to an item sold at a location."""
    taxes = [
        t for t in account.catalog.taxes if t.location_ids is None or location_id in t.location_ids
    ]
    if account.country == "GB":
        return [] if item.tax_class == "zero" else taxes
    if account.country == "IE":
        if item.tax_class == "zero":
            return []
        want = "13.5" if item.tax_class == "reduced" else "23"
        return [t for t in taxes if t.percentage == want]
    return [] if item.tax_class == "zero" else taxes


def local_midnight_ms(tz: ZoneInfo, day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() * 1000)


def local_noon_offset_ms(tz: ZoneInfo, day: date) -> int:
    """UTC offset at local noon: opening hours never straddle a DST change (at 01:00-02:00)."""
    off = datetime(day.year, day.month, day.day, 12, tzinfo=tz).utcoffset() or timedelta(0)
    return int(off.total_seconds() * 1000)


def local_day_of(tz: ZoneInfo, ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(tz).date()


# --- JSON shapes -----------------------------------------------------------------------------


def merchant_json(a: Account) -> JSON:
    return {
        "id": a.merchant_id,
        "business_name": a.business_name,
        "country": a.country,
        "language_code": a.language_code,
        "currency": a.currency,
        "status": "ACTIVE",
        "main_location_id": a.locations[0].id if a.locations else None,
        "created_at": ms_to_rfc3339(a.created_at_ms),
    }


def location_json(a: Account, loc: Location) -> JSON:
    periods = []
    for wd in range(7):
        if wd in loc.hours:
            o, c = loc.hours[wd]
            periods.append(
                {
                    "day_of_week": DAYS[wd],
                    "start_local_time": f"{o // 60:02d}:{o % 60:02d}:00",
                    "end_local_time": f"{c // 60:02d}:{c % 60:02d}:00",
                }
            )
    return {
        "id": loc.id,
        "name": loc.name,
        "address": {
            "address_line_1": loc.address_line,
            "locality": loc.city,
            "postal_code": loc.postcode,
            "country": loc.country,
        },
        "timezone": loc.timezone,
        "capabilities": ["CREDIT_CARD_PROCESSING", "AUTOMATIC_TRANSFERS"],
        "status": loc.status,
        "created_at": ms_to_rfc3339(loc.created_at_ms)[:19] + "Z",
        "merchant_id": loc.merchant_id,
        "country": loc.country,
        "language_code": a.language_code,
        "currency": loc.currency,
        "business_name": a.business_name,
        "type": "PHYSICAL",
        "business_hours": {"periods": periods},
        "mcc": "5814",
    }


def team_member_json(tm: TeamMember) -> JSON:
    return {
        "id": tm.id,
        "is_owner": tm.is_owner,
        "status": tm.status,
        "given_name": tm.given_name,
        "family_name": tm.family_name,
        "email_address": tm.email,
        "created_at": ms_to_rfc3339(tm.created_at_ms)[:19] + "Z",
        "updated_at": ms_to_rfc3339(tm.created_at_ms)[:19] + "Z",
        "assigned_locations": (
            {"assignment_type": "ALL_CURRENT_AND_FUTURE_LOCATIONS"}
            if tm.is_owner
            else {"assignment_type": "EXPLICIT_LOCATIONS", "location_ids": tm.location_ids}
        ),
    }


def catalog_objects(a: Account) -> list[JSON]:
    """Top-level catalog objects (variations nested in their items), in a stable order."""
    cat = a.catalog
    upd = ms_to_rfc3339(cat.updated_at_ms)
    common = {
        "updated_at": upd,
        "version": cat.updated_at_ms,
        "is_deleted": False,
        "present_at_all_locations": True,
    }
    out: list[JSON] = []
    for cid, name in cat.categories:
        out.append(
            {
                "type": "CATEGORY",
                "id": cid,
                **common,
                "category_data": {"name": name, "is_top_level": True},
            }
        )
    for t in cat.taxes:
        obj: JSON = {
            "type": "TAX",
            "id": t.id,
            **common,
            "tax_data": {
                "name": t.name,
                "calculation_phase": "TAX_SUBTOTAL_PHASE",
                "inclusion_type": t.inclusion,
                "percentage": t.percentage,
                "applies_to_custom_amounts": True,
                "enabled": True,
            },
        }
        if t.location_ids is not None:
            obj["present_at_all_locations"] = False
            obj["present_at_location_ids"] = list(t.location_ids)
        out.append(obj)
    for d in cat.discounts:
        data: JSON = {"name": d["name"], "discount_type": d["type"], "pin_required": False}
        if "percentage" in d:
            data["percentage"] = d["percentage"]
        else:
            data["amount_money"] = {"amount": d["amount"], "currency": a.currency}
        out.append({"type": "DISCOUNT", "id": d["id"], **common, "discount_data": data})
    for lid, lname, mods in cat.modifier_lists:
        out.append(
            {
                "type": "MODIFIER_LIST",
                "id": lid,
                **common,
                "modifier_list_data": {
                    "name": lname,
                    "selection_type": "MULTIPLE" if lname == "Extras" else "SINGLE",
                    "modifiers": [
                        {
                            "type": "MODIFIER",
                            "id": m.id,
                            **common,
                            "modifier_data": {
                                "name": m.name,
                                "price_money": {"amount": m.price, "currency": a.currency},
                                "ordinal": j,
                                "modifier_list_id": lid,
                            },
                        }
                        for j, m in enumerate(mods)
                    ],
                },
            }
        )
    for it in cat.items:
        tax_ids = sorted({t.id for loc in a.locations for t in taxes_for(a, it, loc.id)})
        item_data: JSON = {
            "name": it.name,
            "is_taxable": bool(tax_ids),
            "tax_ids": tax_ids,
            "categories": [{"id": it.category_id}],
            "reporting_category": {"id": it.category_id},
            "product_type": "REGULAR",
            "variations": [
                {
                    "type": "ITEM_VARIATION",
                    "id": v.id,
                    **common,
                    "item_variation_data": {
                        "item_id": it.id,
                        "name": v.name,
                        "ordinal": j,
                        "pricing_type": "FIXED_PRICING",
                        "price_money": {"amount": v.price, "currency": a.currency},
                        "sellable": True,
                        "stockable": True,
                    },
                }
                for j, v in enumerate(it.variations)
            ],
        }
        if it.modifier_list_ids:
            item_data["modifier_list_info"] = [
                {"modifier_list_id": m, "enabled": True} for m in it.modifier_list_ids
            ]
        out.append({"type": "ITEM", "id": it.id, **common, "item_data": item_data})
    return out
