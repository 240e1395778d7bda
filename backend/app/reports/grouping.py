"""Reports: how a line breakdown groups its rows (item, category, ...) and tender labels."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.reports.reference import _aware
from app.reports.request import CUSTOM_AMOUNT, UNCATEGORISED
from app.reports.schemas import BreakdownBy
from app.sales.models import CatalogCategory, CatalogItem, CatalogVariation


def _pairs(rows: Iterable[Any]) -> dict[Any, Any]:
    return {row[0]: row[1] for row in rows}


def _norm(name: str) -> str:
    """A name as rows are merged by it: trimmed, case-insensitive (METRICS.md "Breakdowns")."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class _Grouping:
    """How line identities (item type, variation, name) become item or category rows: one row
    per name across the organization's Square accounts, spelled as the most recently updated
    catalog object spells it. `digest` changes whenever the catalog would group differently."""

    by: BreakdownBy
    row: Callable[[Hashable], tuple[str, str]]
    digest: str


def _line_grouping(db: Session, org_id: int, by: BreakdownBy) -> _Grouping:
    variations = _pairs(
        db.execute(
            select(CatalogVariation.square_id, CatalogVariation.item_square_id)
            .where(CatalogVariation.org_id == org_id)
            .order_by(CatalogVariation.square_id)
        )
    )
    items = {
        square_id: (name, category, updated_at, row_id)
        for square_id, name, category, updated_at, row_id in db.execute(
            select(
                CatalogItem.square_id,
                CatalogItem.name,
                CatalogItem.category_square_id,
                CatalogItem.updated_at,
                CatalogItem.id,
            )
            .where(CatalogItem.org_id == org_id)
            .order_by(CatalogItem.square_id)
        )
    }
    categories = {
        square_id: (name, updated_at, row_id)
        for square_id, name, updated_at, row_id in db.execute(
            select(
                CatalogCategory.square_id,
                CatalogCategory.name,
                CatalogCategory.updated_at,
                CatalogCategory.id,
            )
            .where(CatalogCategory.org_id == org_id)
            .order_by(CatalogCategory.square_id)
        )
    }

    def spelling(objects: Iterable[tuple[str, Any, int]]) -> dict[str, str]:
        best: dict[str, tuple[Any, int, str]] = {}
        for name, updated_at, row_id in objects:
            norm = _norm(name)
            rank = (_aware(updated_at).timestamp() if updated_at else 0.0, row_id, name)
            if norm not in best or rank > best[norm]:
                best[norm] = rank
        return {norm: rank[2] for norm, rank in best.items()}

    item_names = spelling((v[0], v[2], v[3]) for v in items.values())
    category_names = spelling(categories.values())

    def row(extra: Hashable) -> tuple[str, str]:
        assert isinstance(extra, tuple)
        item_type, variation_id, name = extra
        if item_type == "CUSTOM_AMOUNT" and not variation_id:
            return "custom_amount", CUSTOM_AMOUNT
        item_id = variations.get(variation_id) if variation_id else None
        item = items.get(item_id) if item_id else None
        if by == BreakdownBy.item:
            if item is None and variation_id:
                return f"variation:{variation_id}", name or variation_id
            shown = item[0] if item else (name or CUSTOM_AMOUNT)
            norm = _norm(shown)
            return f"item:{norm}", item_names.get(norm, shown)
        category = categories.get(item[1]) if item and item[1] else None
        if category is None:
            return "uncategorised", UNCATEGORISED
        norm = _norm(category[0])
        return f"category:{norm}", category_names.get(norm, category[0])

    fingerprint = hashlib.sha256(
        repr((by.value, sorted(variations.items()), items, categories)).encode()
    ).hexdigest()
    return _Grouping(by, row, f"{by.value}:{fingerprint[:40]}")


# Square's tender `type`s in a shop's words. OTHER is a payment recorded in Square but taken
# outside it (a cheque, a voucher, another terminal's receipt): Square's "Other" alone read as
# "something we could not classify" to managers.
TENDER_LABELS: dict[str, str] = {
    "CASH": "Cash",
    "OTHER": "Other (paid outside Square)",
    "THIRD_PARTY_CARD": "Card on another terminal",
    "SQUARE_GIFT_CARD": "Square gift card",
    "WALLET": "Digital wallet",
    "BANK_ACCOUNT": "Bank transfer",
    "BUY_NOW_PAY_LATER": "Buy now, pay later",
    "SQUARE_ACCOUNT": "Square account balance",
    "NO_SALE": "No sale",
    "UNKNOWN": "Refunds against unknown payments",
}


def _tender_label(extra: Hashable) -> tuple[str, str]:
    assert isinstance(extra, tuple)
    tender_type, brand = extra
    if tender_type == "CARD":
        if not brand or brand == "OTHER_BRAND":
            return f"CARD:{brand or 'OTHER_BRAND'}", "Card (other brand)"
        return f"CARD:{brand}", f"Card ({brand.replace('_', ' ').title()})"
    key = str(tender_type)
    return key, TENDER_LABELS.get(key, key.replace("_", " ").capitalize())
