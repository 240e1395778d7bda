"""One running simulator's state: the store, OAuth, faults, webhooks and the live-sales ticker."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from . import generator as g
from . import pricing
from .errors import bad_request
from .faults import Faults
from .history import SimConfig
from .model import Account
from .oauth import OAuth
from .store import Simulator
from .util import JSON, b62encode, money, ms_to_rfc3339
from .webhooks import Webhooks


class State:
    """Everything one running simulator holds; ``app.state.sim`` in the ASGI app."""

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        webhook_backoff_s: tuple[float, ...] = (1, 2, 4, 8, 16),
        tick_s: float = 1.0,
    ) -> None:
        self.sim = Simulator(config)
        self.config = self.sim.config
        self.clock = self.sim.clock
        self.oauth = OAuth(self.config.seed, self.config.token_lifetime_s)
        for a in self.sim.accounts:
            self.oauth.add_personal_token(a.personal_access_token, a.merchant_id)
        self.faults = Faults(self.config.seed)
        self.webhooks = Webhooks(self.clock.now, backoff_s=webhook_backoff_s)
        self.sim.listeners.append(self.webhooks.emit)
        self.requests: Counter[str] = Counter()
        self.requests_lock = threading.Lock()
        self.tick_s = tick_s
        self.prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sq-sim-prefetch")
        self._tick_lock = threading.Lock()
        self._last_tick: int | None = None
        self._ticker: threading.Thread | None = None
        self.webhooks.on_subscribe = self._ensure_ticker

    # Live sales: generated orders that come into existence as the clock moves are till sales,
    # announced as Square announces a sale rung up on the point of sale: by payment.* and
    # refund.* events only (order.* events are published for CreateOrder orders alone).
    MAX_EVENTS_PER_TICK = 2000

    def _ensure_ticker(self) -> None:
        with self._tick_lock:
            if self._last_tick is None:
                self._last_tick = self.clock.now()
            if self._ticker is None or not self._ticker.is_alive():
                self._ticker = threading.Thread(
                    target=self._tick_loop, name="sq-sim-ticker", daemon=True
                )
                self._ticker.start()

    def _tick_loop(self) -> None:
        while not self.webhooks.stopped.wait(self.tick_s):
            with contextlib.suppress(Exception):  # a bad tick must not stop live events
                self.tick()

    def tick(self) -> int:
        """Announce the till sales made or changed since the last tick (at most
        ``MAX_EVENTS_PER_TICK`` orders; a long clock jump does not replay all of history).

        A sale: payment.created then payment.updated (COMPLETED) for each of its payments. A
        return or refund: refund.created and refund.updated (COMPLETED) for each refund, and
        payment.updated for the payment it returns money from. A late edit: payment.updated
        when a card fee settled with it; other edits (notes) are announced by nothing, as at
        Square, and reach an integration through its periodic search. Open and cancelled tickets
        take no payment and are announced by nothing either. Returns how many orders were
        announced."""
        with self._tick_lock:
            now = self.clock.now()
            if self.sim.pending_refunds:
                self.sim.settle_refunds(now)
            last = self._last_tick
            self._last_tick = now
            if last is None or now <= last or not self.webhooks.subs:
                return 0
            sim = self.sim
            sent = 0
            for acct in sim.accounts:
                gidxs = [loc.gidx for loc in acct.locations if loc.generated]
                if not gidxs:
                    continue
                hits = sim.scan(
                    "orders",
                    gidxs,
                    "updated",
                    True,
                    last + 1,
                    now,
                    None,
                    self.MAX_EVENTS_PER_TICK,
                    None,
                    now,
                )
                for hit in hits[: self.MAX_EVENTS_PER_TICK]:
                    if hit.ref[0] != "g":
                        continue
                    _, gi, dd, ii = hit.ref
                    loc = sim.loc_by_gidx[gi]
                    b = sim.bucket(loc, dd)
                    edited = int(b.upd2[ii]) == hit.key
                    edit_at = ms_to_rfc3339(hit.key)
                    announced = False
                    for p in sim.payments_of_hit(hit, now):
                        if not edited:
                            sim.emit("payment.created", loc, "payment", p)
                            sim.emit("payment.updated", loc, "payment", p)
                            announced = True
                        elif p["updated_at"] == edit_at:  # its processing fee settled
                            sim.emit("payment.updated", loc, "payment", p)
                            announced = True
                    if not edited:
                        for r in sim.refunds_of_hit(hit, now):
                            sim.emit("refund.created", loc, "refund", r)
                            sim.emit("refund.updated", loc, "refund", r)
                            announced = True
                            paid = sim.get_payment(r["payment_id"])
                            if paid is not None:
                                sim.emit("payment.updated", loc, "payment", paid)
                    sent += announced
            return sent

    def ring_up(self, location_id: str, amount: int, *, tender: str = "CARD") -> JSON:
        """A sale rung up at the till now, by card or cash: a COMPLETED order of one line at
        ``amount`` (minor units) and its COMPLETED payment, announced as Square announces a
        point-of-sale sale (payment.created, then payment.updated; no order event). Returns
        ``{"order", "payment"}``."""
        if tender not in ("CARD", "CASH"):
            raise bad_request("`tender` is CARD or CASH.", "tender", "INVALID_ENUM_VALUE")
        if amount <= 0:
            raise bad_request("`amount` must be positive.", "amount")
        sim = self.sim
        with sim.lock:
            loc = sim.loc_by_id.get(location_id)
            if loc is None:
                raise bad_request("Unknown location.", "location_id", "NOT_FOUND")
            acct = sim.acct_by_loc[location_id]
            cur = loc.currency
            at = ms_to_rfc3339(self.clock.now())
            oid = b62encode(hashlib.blake2b(sim.new_id().encode(), digest_size=20).digest(), 27)
            pid = b62encode(hashlib.blake2b(sim.new_id().encode(), digest_size=20).digest(), 27)
            order: JSON = {
                "id": oid,
                "location_id": location_id,
                "source": {"name": "Square Point of Sale"},
                "line_items": [
                    {
                        "uid": f"L0-{oid[:10]}",
                        "name": "Till sale",
                        "quantity": "1",
                        "item_type": "CUSTOM_AMOUNT",
                        "base_price_money": money(amount, cur),
                    }
                ],
            }
            pricing.price_sale_lines(order, cur)
            pricing.fill_order_totals(order, cur, 0)
            total = order["total_money"]["amount"]
            fee = (total * acct.fee_bps + 5000) // 10000 + acct.fee_fixed if tender == "CARD" else 0
            t: JSON = {
                "id": pid,
                "location_id": location_id,
                "transaction_id": oid,
                "created_at": at,
                "amount_money": money(total, cur),
                "type": tender,
                "payment_id": pid,
            }
            p: JSON = {
                "id": pid,
                "created_at": at,
                "updated_at": at,
                "amount_money": money(total, cur),
                "total_money": money(total, cur),
                "approved_money": money(total, cur),
                "status": "COMPLETED",
                "source_type": tender,
                "location_id": location_id,
                "order_id": oid,
                "receipt_number": pid[:4],
                "application_details": {"square_product": "SQUARE_POS"},
                "version_token": "v" + pid[:12],
            }
            if tender == "CARD":
                card = {"card_brand": "VISA", "last_4": "4242"}
                t["card_details"] = {"status": "CAPTURED", "card": card, "entry_method": "EMV"}
                t["processing_fee_money"] = money(fee, cur)
                p["processing_fee"] = [
                    {"effective_at": at, "type": "INITIAL", "amount_money": money(fee, cur)}
                ]
                p["card_details"] = {"status": "CAPTURED", "card": card, "entry_method": "EMV"}
            else:
                t["cash_details"] = {
                    "buyer_tendered_money": money(total, cur),
                    "change_back_money": money(0, cur),
                }
                p["cash_details"] = {
                    "buyer_supplied_money": money(total, cur),
                    "change_back_money": money(0, cur),
                }
            order.update(
                {
                    "tenders": [t],
                    "created_at": at,
                    "updated_at": at,
                    "closed_at": at,
                    "state": "COMPLETED",
                    "version": 1,
                    "net_amount_due_money": money(0, cur),
                }
            )
            order = g._ordered(order)
            sim.put_order(order)
            sim.put_payment(p)
            sim.emit("payment.created", loc, "payment", p)
            sim.emit("payment.updated", loc, "payment", p)
        return {"order": order, "payment": p}

    def create_account(
        self,
        *,
        business_name: str,
        country: str = "GB",
        currency: str = "GBP",
        locations: list[JSON] | None = None,
        generated: bool = False,
    ) -> Account:
        """A new seller account whose personal access token works at once. ``locations`` are
        ``{"name", "timezone"?, "currency"?, "generated"?, "base_rate"?, "hours"?}``."""
        acct = self.sim.create_account(
            business_name=business_name,
            country=country,
            currency=currency,
            locations=locations or [{"name": "Main"}],
            generated=generated,
        )
        self.oauth.add_personal_token(acct.personal_access_token, acct.merchant_id)
        return acct

    def accounts_json(self) -> list[JSON]:
        return [account_admin_json(a) for a in self.sim.accounts]


def account_admin_json(a: Account) -> JSON:
    return {
        "merchant_id": a.merchant_id,
        "business_name": a.business_name,
        "country": a.country,
        "currency": a.currency,
        "personal_access_token": a.personal_access_token,
        "locations": [
            {
                "id": loc.id,
                "name": loc.name,
                "timezone": loc.timezone,
                "currency": loc.currency,
                "generated": loc.generated,
            }
            for loc in a.locations
        ],
    }
