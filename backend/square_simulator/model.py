"""Seller accounts, locations, catalogs and team members, generated from a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from .util import JSON, ms_to_rfc3339, short_id

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


@dataclass(frozen=True)
class Template:
    country: str
    currency: str
    language: str
    business_name: str
    tax_mode: str
    price_factor: float
    fee_bps: int
    fee_fixed: int
    cities: tuple[tuple[str, str, str, str], ...]  # (name, timezone, city, postcode)


TEMPLATES = (
    Template(
        "GB",
        "GBP",
        "en-GB",
        "Hartley & Finch",
        "INCLUSIVE",
        1.0,
        175,
        0,
        (
            ("Shoreditch", "Europe/London", "London", "E1 6JE"),
            ("Covent Garden", "Europe/London", "London", "WC2E 8RF"),
            ("Clapham", "Europe/London", "London", "SW4 7AA"),
            ("Islington", "Europe/London", "London", "N1 8EA"),
            ("Camden", "Europe/London", "London", "NW1 8AH"),
            ("Manchester Northern Quarter", "Europe/London", "Manchester", "M4 1HN"),
        ),
    ),
    Template(
        "IE",
        "EUR",
        "en-IE",
        "Liffey Goods",
        "INCLUSIVE",
        1.15,
        175,
        0,
        (
            ("Grafton Street", "Europe/Dublin", "Dublin", "D02 VF65"),
            ("Temple Bar", "Europe/Dublin", "Dublin", "D02 X211"),
            ("Galway Quay", "Europe/Dublin", "Galway", "H91 T2R8"),
        ),
    ),
    Template(
        "US",
        "USD",
        "en-US",
        "Prairie & Pine Outfitters",
        "ADDITIVE",
        1.25,
        260,
        10,
        (
            ("SoHo", "America/New_York", "New York", "10012"),
            ("Wicker Park", "America/Chicago", "Chicago", "60622"),
            ("Silver Lake", "America/Los_Angeles", "Los Angeles", "90026"),
            ("LoDo", "America/Denver", "Denver", "80202"),
        ),
    ),
)

US_TAX = {
    "America/New_York": "8.875",
    "America/Chicago": "10.25",
    "America/Los_Angeles": "9.5",
    "America/Denver": "8.81",
}

# (name, category, base price in GBP pence, variations, modifier lists, tax class, popularity)
PRODUCTS: tuple[
    tuple[str, str, int, tuple[tuple[str, int], ...], tuple[str, ...], str, float], ...
] = (
    (
        "Flat White",
        "Hot Drinks",
        340,
        (("Regular", 0), ("Large", 40)),
        ("Milk", "Extras"),
        "standard",
        9.0,
    ),
    (
        "Latte",
        "Hot Drinks",
        350,
        (("Regular", 0), ("Large", 40)),
        ("Milk", "Extras"),
        "standard",
        8.0,
    ),
    ("Cappuccino", "Hot Drinks", 340, (("Regular", 0),), ("Milk", "Extras"), "standard", 6.0),
    ("Americano", "Hot Drinks", 290, (("Regular", 0), ("Large", 30)), ("Milk",), "standard", 5.0),
    ("Breakfast Tea", "Hot Drinks", 250, (("Regular", 0),), ("Milk",), "standard", 3.0),
    ("Iced Latte", "Cold Drinks", 380, (("Regular", 0),), ("Milk",), "standard", 3.0),
    ("Lemonade", "Cold Drinks", 300, (("Regular", 0),), (), "standard", 2.0),
    ("Croissant", "Bakery", 280, (("Regular", 0),), (), "zero", 5.0),
    ("Pain au Chocolat", "Bakery", 310, (("Regular", 0),), (), "zero", 4.0),
    ("Cinnamon Bun", "Bakery", 350, (("Regular", 0),), (), "zero", 3.0),
    ("Banana Bread", "Bakery", 320, (("Slice", 0),), (), "zero", 2.5),
    ("Sourdough Toastie", "Food", 690, (("Ham & Cheese", 0), ("Mushroom", 0)), (), "reduced", 3.0),
    ("Grain Bowl", "Food", 850, (("Regular", 0),), (), "reduced", 2.0),
    ("Soup of the Day", "Food", 550, (("Regular", 0),), (), "reduced", 1.5),
    ("Coffee Beans 250g", "Retail", 1100, (("Whole Bean", 0), ("Ground", 0)), (), "zero", 1.2),
    ("House Blend by Weight", "Retail", 3600, (("Per kg", 0),), (), "zero", 0.6),
    ("Reusable Cup", "Retail", 1500, (("Regular", 0),), (), "standard", 0.5),
    ("Canvas Tote", "Retail", 1200, (("Regular", 0),), (), "standard", 0.5),
    ("Ceramic Mug", "Retail", 1400, (("Regular", 0),), (), "standard", 0.4),
)

MODIFIER_LISTS = (
    ("Milk", (("Whole Milk", 0), ("Oat Milk", 40), ("Soy Milk", 40))),
    ("Extras", (("Extra Shot", 60), ("Vanilla Syrup", 50))),
)

GIVEN = (
    "Alex",
    "Sam",
    "Priya",
    "Jordan",
    "Niamh",
    "Tom",
    "Aisha",
    "Luca",
    "Maria",
    "Ben",
    "Chloe",
    "Declan",
    "Grace",
    "Hugo",
    "Ines",
    "Jack",
    "Kofi",
    "Lena",
    "Mo",
    "Nora",
)
FAMILY = (
    "Patel",
    "Murphy",
    "Smith",
    "Garcia",
    "O'Brien",
    "Nguyen",
    "Jones",
    "Walsh",
    "Kowalski",
    "Brown",
    "Rossi",
    "Okafor",
    "Taylor",
    "Kelly",
    "Chen",
    "Byrne",
)


def _price(base_gbp: int, factor: float) -> int:
    # Round converted prices to the nearest 5 minor units, as price lists usually are.
    return round(base_gbp * factor / 5.0) * 5


def build_catalog(
    seed: int, acct_idx: int, t: Template, locations: list[Location], updated_at_ms: int
) -> Catalog:
    def cid(*parts: object) -> str:
        return short_id("catalog", seed, acct_idx, *parts, length=24)

    categories: dict[str, str] = {}
    for p in PRODUCTS:
        categories.setdefault(p[1], cid("category", p[1]))
    mls: list[tuple[str, str, list[Modifier]]] = []
    ml_by_name: dict[str, str] = {}
    for name, mods in MODIFIER_LISTS:
        lid = cid("modlist", name)
        ml_by_name[name] = lid
        mls.append(
            (
                lid,
                name,
                [
                    Modifier(cid("mod", name, m), lid, m, _price(pr, t.price_factor))
                    for m, pr in mods
                ],
            )
        )
    taxes: list[Tax] = []
    if t.country == "GB":
        taxes.append(Tax(cid("tax", "vat20"), "VAT", "20", "INCLUSIVE"))
    elif t.country == "IE":
        taxes.append(Tax(cid("tax", "vat23"), "VAT 23%", "23", "INCLUSIVE"))
        taxes.append(Tax(cid("tax", "vat135"), "VAT 13.5%", "13.5", "INCLUSIVE"))
    else:
        by_rate: dict[str, list[str]] = {}
        for loc in locations:
            by_rate.setdefault(US_TAX.get(loc.timezone, "8.875"), []).append(loc.id)
        for rate, loc_ids in sorted(by_rate.items()):
            taxes.append(Tax(cid("tax", rate), f"Sales Tax {rate}%", rate, "ADDITIVE", loc_ids))
    items: list[Item] = []
    for name, cat, base, variations, mlists, tax_class, weight in PRODUCTS:
        iid = cid("item", name)
        vs = [
            Variation(
                cid("var", name, vname),
                iid,
                vname,
                _price(base + extra, t.price_factor),
                by_weight=name.endswith("by Weight"),
            )
            for vname, extra in variations
        ]
        items.append(
            Item(iid, name, categories[cat], vs, [ml_by_name[m] for m in mlists], tax_class, weight)
        )
    sym = {"GBP": 100, "EUR": 115, "USD": 125}[t.currency]
    discounts: list[JSON] = [
        {
            "id": cid("disc", "staff"),
            "name": "Staff 20%",
            "type": "FIXED_PERCENTAGE",
            "percentage": "20",
        },
        {
            "id": cid("disc", "loyalty"),
            "name": "Loyalty Reward",
            "type": "FIXED_AMOUNT",
            "amount": sym,
        },
        {
            "id": cid("disc", "happy"),
            "name": "Happy Hour 10%",
            "type": "FIXED_PERCENTAGE",
            "percentage": "10",
        },
    ]
    catalog = Catalog(
        sorted((v, k) for k, v in categories.items()), items, mls, taxes, discounts, updated_at_ms
    )
    for it in items:
        for v in it.variations:
            catalog.variations_by_id[v.id] = (it, v)
    for _, _, modifiers in mls:
        for m in modifiers:
            catalog.modifiers_by_id[m.id] = m
    return catalog


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


def default_hours(rng: random.Random) -> dict[int, tuple[int, int]]:
    open_wd = rng.choice((7 * 60, 7 * 60 + 30, 8 * 60))
    close_wd = rng.choice((18 * 60, 19 * 60, 20 * 60))
    hours = dict.fromkeys(range(5), (open_wd, close_wd))
    hours[5] = (8 * 60, close_wd)
    hours[6] = (9 * 60, 17 * 60)
    return hours


def build_accounts(
    *, seed: int, n_accounts: int, locations_per_account: int, history_start_ms: int
) -> list[Account]:
    """The seed's seller accounts: account i follows template i mod 3 (GB, IE, US)."""
    accounts: list[Account] = []
    gidx = 0
    for a in range(n_accounts):
        t = TEMPLATES[a % len(TEMPLATES)]
        rng = random.Random(f"{seed}:account:{a}")
        suffix = "" if a < len(TEMPLATES) else f" {a // len(TEMPLATES) + 1}"
        merchant_id = "ML" + short_id("merchant", seed, a, length=11)
        created = history_start_ms - 400 * 86_400_000
        locs: list[Location] = []
        for li in range(locations_per_account):
            name, tz, city, postcode = t.cities[li % len(t.cities)]
            if li >= len(t.cities):
                name = f"{name} {li // len(t.cities) + 1}"
            locs.append(
                Location(
                    id="L" + short_id("location", seed, a, li, length=12),
                    gidx=gidx,
                    merchant_id=merchant_id,
                    name=name,
                    timezone=tz,
                    currency=t.currency,
                    country=t.country,
                    city=city,
                    address_line=f"{rng.randint(1, 200)} {rng.choice(('High', 'Market', 'Church', 'Station', 'Mill'))} Street",  # noqa: E501
                    postcode=postcode,
                    created_at_ms=created + li * 86_400_000,
                    hours=default_hours(rng),
                    base_rate=rng.uniform(60, 130),
                    service_charge_pct="12.5" if (t.country == "GB" and li % 3 == 1) else None,
                    tip_rate=0.45 if t.country == "US" else 0.06,
                )
            )
            gidx += 1
        cat = build_catalog(seed, a, t, locs, created + 86_400_000)
        team: list[TeamMember] = []
        for li, loc in enumerate(locs):
            for k in range(rng.randint(3, 5)):
                g, f = rng.choice(GIVEN), rng.choice(FAMILY)
                team.append(
                    TeamMember(
                        id="TM" + short_id("tm", seed, a, li, k, length=14),
                        given_name=g,
                        family_name=f,
                        email=f"{g.lower()}.{f.lower().replace(chr(39), '')}{a}{li}{k}@example.com",
                        location_ids=[loc.id],
                        is_owner=False,
                        created_at_ms=loc.created_at_ms,
                    )
                )
        owner_g, owner_f = rng.choice(GIVEN), rng.choice(FAMILY)
        team.insert(
            0,
            TeamMember(
                id="TM" + short_id("tm-owner", seed, a, length=14),
                given_name=owner_g,
                family_name=owner_f,
                email=f"owner{a}@example.com",
                location_ids=[loc.id for loc in locs],
                is_owner=True,
                created_at_ms=created,
            ),
        )
        accounts.append(
            Account(
                idx=a,
                merchant_id=merchant_id,
                business_name=t.business_name + suffix,
                country=t.country,
                currency=t.currency,
                language_code=t.language,
                locations=locs,
                catalog=cat,
                team=team,
                personal_access_token="EAAAl"
                + short_id("pat", seed, a, length=24).lower()
                + short_id("pat2", seed, a, length=30),
                created_at_ms=created,
                tax_mode=t.tax_mode,
                fee_bps=t.fee_bps,
                fee_fixed=t.fee_fixed,
            )
        )
    return accounts


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
