"""Payment methods are named as a shop names them (issue #23, point 14), not by Square's enum."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.reports.grouping import _tender_label
from tests.reports.conftest import Synced
from tests.reports.test_router import WEEK, get


def test_the_payment_method_rows_read_as_card_brands_and_cash(
    client: TestClient, synced: Synced
) -> None:
    methods = get(
        client, synced, "breakdown", by="payment_method", location_ids=synced.london.id, **WEEK
    )
    labels = {r["key"]: r["label"] for r in methods["rows"]}
    assert labels == {
        "CARD:VISA": "Card (Visa)",
        "CASH": "Cash",
        "CARD:MASTERCARD": "Card (Mastercard)",
    }


@pytest.mark.parametrize(
    ("tender", "label"),
    [
        (("OTHER", None), "Other (paid outside Square)"),
        (("CARD", None), "Card (other brand)"),
        (("CARD", "OTHER_BRAND"), "Card (other brand)"),
        (("CARD", "AMERICAN_EXPRESS"), "Card (American Express)"),
        (("THIRD_PARTY_CARD", None), "Card on another terminal"),
        (("SQUARE_GIFT_CARD", None), "Square gift card"),
        (("UNKNOWN", None), "Refunds against unknown payments"),
        (("SOMETHING_NEW", None), "Something new"),
    ],
)
def test_square_tender_types_in_words(tender: tuple[str, str | None], label: str) -> None:
    assert _tender_label(tender)[1] == label
