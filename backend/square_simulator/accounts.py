"""The seed's seller accounts: three templates (GB, IE, US), each with its locations, catalog and
team members.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .model import Account, Catalog, Item, Location, Modifier, Tax, TeamMember, Variation
from .util import JSON, short_id


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
