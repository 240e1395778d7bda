"""Square, through the official `squareup` SDK, with one retry policy for every call.

The same code talks to Square's production or sandbox host or to the bundled simulator: only the
base URL differs (settings.square_base_url). Responses are handed on as plain dicts in Square's own
field names, which is what the sync stores and derives figures from.

The bulk reads (orders, payments, refunds, catalog, team) go through the SDK's own HTTP client
(base URL, bearer token, Square-Version header, timeouts) but skip its model construction: the SDK
builds a typed object tree per order at ~25 ms an order, which would cap a sync at ~40 orders/s.
The JSON is decoded once with orjson instead, giving the same documents Square sent.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import orjson
from square import Square
from square.core.api_error import ApiError
from square.core.request_options import RequestOptions

from app.core.config import get_settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# Scopes reporting needs (read-only).
READ_SCOPES = (
    "MERCHANT_PROFILE_READ",
    "ITEMS_READ",
    "ORDERS_READ",
    "PAYMENTS_READ",
    "EMPLOYEES_READ",
)

# The SDK's own retries are off: every retry decision is made here, in one place.
NO_SDK_RETRIES: RequestOptions = {"max_retries": 0}
ORDERS_PAGE_LIMIT = 1000  # SearchOrders' maximum
MAX_LOCATIONS_PER_SEARCH = 10  # SearchOrders' maximum of location_ids
BATCH_RETRIEVE_LIMIT = 100  # BatchRetrieveOrders' maximum of order_ids


class SquareError(Exception):
    """A Square call that failed for good."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


class SquareAuthError(SquareError):
    """The grant is unusable: revoked, unknown or otherwise refused (401/403)."""


class SquareTokenExpired(SquareAuthError):
    """The access token expired; refreshing it fixes this."""


def _error_code(exc: ApiError) -> str | None:
    body = exc.body if isinstance(exc.body, dict) else {}
    errors = body.get("errors") or []
    if errors and isinstance(errors[0], dict):
        code = errors[0].get("code")
        return str(code) if code else None
    return None


def _as_dict(model: Any) -> dict[str, Any]:
    if isinstance(model, dict):
        return model
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


@dataclass
class RetryPolicy:
    attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        backoff = min(self.base_delay * (2.0**attempt), self.max_delay)
        jitter: float = 0.5 + random.random() / 2  # noqa: S311  (jitter, not security)
        return backoff * jitter


class SquareApi:
    """A Square client for one access token (or none, for OAuth calls)."""

    def __init__(
        self,
        access_token: str | None = None,
        *,
        on_token_expired: Callable[[], str] | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        settings = get_settings()
        self._token = access_token or ""
        self._on_token_expired = on_token_expired
        self.retry = retry or RetryPolicy(base_delay=settings.SQUARE_RETRY_BASE_SECONDS)
        self._sleep = sleep
        self.base_url = settings.square_base_url
        self.sdk = Square(
            base_url=self.base_url,
            # OAuth calls carry no bearer token at all (an empty one is not a valid header).
            token=(lambda: self._token) if access_token else None,
            timeout=settings.SQUARE_TIMEOUT_SECONDS,
            httpx_client=httpx.Client(
                timeout=settings.SQUARE_TIMEOUT_SECONDS, follow_redirects=False
            ),
        )

    def close(self) -> None:
        self.sdk._client_wrapper.httpx_client.httpx_client.close()

    # -- the retry loop -------------------------------------------------------------------------

    def call(self, fn: Callable[[], T], *, what: str) -> T:
        """Run one Square call: retries 429 (after Retry-After), 5xx and timeouts with backoff,
        refreshes an expired token once, and raises SquareError when it gives up."""
        refreshed = False
        for attempt in range(self.retry.attempts):
            try:
                return fn()
            except ApiError as exc:
                status = exc.status_code or 0
                code = _error_code(exc)
                if status == 401 and code == "ACCESS_TOKEN_EXPIRED":
                    if self._on_token_expired is not None and not refreshed:
                        self._token = self._on_token_expired()
                        refreshed = True
                        continue
                    raise SquareTokenExpired(
                        f"{what}: access token expired", code=code, status=status
                    ) from exc
                if status in (401, 403):
                    raise SquareAuthError(
                        f"{what}: Square refused the grant ({code or status})",
                        code=code,
                        status=status,
                    ) from exc
                if status == 429 or status >= 500 or status == 408:
                    retry_after = None
                    if exc.headers:
                        header = {k.lower(): v for k, v in exc.headers.items()}.get("retry-after")
                        if header and header.strip().isdigit():
                            retry_after = float(header)
                    wait = self.retry.delay(attempt, retry_after)
                    log.warning("square %s: %s %s, retry in %.1fs", what, status, code, wait)
                    self._sleep(wait)
                    continue
                raise SquareError(f"{what}: {status} {code}", code=code, status=status) from exc
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                wait = self.retry.delay(attempt)
                log.warning("square %s: %s, retry in %.1fs", what, type(exc).__name__, wait)
                self._sleep(wait)
        raise SquareError(f"{what}: gave up after {self.retry.attempts} attempts")

    def _raw(
        self,
        path: str,
        *,
        method: str = "GET",
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One request through the SDK's HTTP client, answered as the decoded JSON body."""
        response = self.sdk._client_wrapper.httpx_client.request(
            path,
            method=method,
            json=json,
            params={k: v for k, v in (params or {}).items() if v is not None},
            request_options=NO_SDK_RETRIES,
        )
        try:
            body = orjson.loads(response.content) if response.content else {}
        except orjson.JSONDecodeError:
            body = response.text
        if 200 <= response.status_code < 300 and isinstance(body, dict):
            return body
        raise ApiError(status_code=response.status_code, headers=dict(response.headers), body=body)

    # -- OAuth ----------------------------------------------------------------------------------

    def obtain_token(self, **params: Any) -> dict[str, Any]:
        settings = get_settings()
        response = self.call(
            lambda: self.sdk.o_auth.obtain_token(
                client_id=settings.SQUARE_APPLICATION_ID,
                client_secret=settings.SQUARE_APPLICATION_SECRET,
                request_options=NO_SDK_RETRIES,
                **params,
            ),
            what="obtain token",
        )
        return _as_dict(response)

    def revoke(self, access_token: str) -> None:
        settings = get_settings()
        self.call(
            lambda: self.sdk.o_auth.revoke_token(
                client_id=settings.SQUARE_APPLICATION_ID,
                access_token=access_token,
                request_options={
                    "max_retries": 0,
                    "additional_headers": {
                        "Authorization": f"Client {settings.SQUARE_APPLICATION_SECRET}"
                    },
                },
            ),
            what="revoke token",
        )

    # -- reads ----------------------------------------------------------------------------------

    def merchant(self) -> dict[str, Any]:
        response = self.call(
            lambda: self.sdk.merchants.get("me", request_options=NO_SDK_RETRIES), what="merchant"
        )
        return _as_dict(response.merchant) if response.merchant else {}

    def locations(self) -> list[dict[str, Any]]:
        response = self.call(
            lambda: self.sdk.locations.list(request_options=NO_SDK_RETRIES), what="locations"
        )
        return [_as_dict(loc) for loc in response.locations or []]

    def _cursor_pages(
        self, path: str, key: str, *, what: str, method: str = "GET", **request: Any
    ) -> Iterator[list[dict[str, Any]]]:
        cursor: str | None = None
        while True:
            if method == "GET":
                params = {**request.get("params", {}), "cursor": cursor}
                body = self.call(lambda p=params: self._raw(path, params=p), what=what)  # type: ignore[misc]
            else:
                payload = {**request.get("json", {}), **({"cursor": cursor} if cursor else {})}
                body = self.call(
                    lambda p=payload: self._raw(path, method=method, json=p),  # type: ignore[misc]
                    what=what,
                )
            yield list(body.get(key) or [])
            cursor = body.get("cursor")
            if not cursor:
                return

    def catalog_objects(self) -> Iterator[dict[str, Any]]:
        for page in self._cursor_pages(
            "v2/catalog/list", "objects", what="catalog", params={"types": "ITEM,CATEGORY"}
        ):
            yield from page

    def team_members(self) -> Iterator[dict[str, Any]]:
        for page in self._cursor_pages(
            "v2/team-members/search",
            "team_members",
            what="team members",
            method="POST",
            json={"limit": 200},
        ):
            yield from page

    def search_orders(
        self,
        *,
        location_ids: list[str],
        updated_from: str,
        updated_to: str,
        cursor: str | None = None,
        limit: int = ORDERS_PAGE_LIMIT,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of orders updated in [updated_from, updated_to), newest first."""
        payload: dict[str, Any] = {
            "location_ids": location_ids,
            "query": {
                "filter": {
                    "date_time_filter": {
                        "updated_at": {"start_at": updated_from, "end_at": updated_to}
                    }
                },
                "sort": {"sort_field": "UPDATED_AT", "sort_order": "DESC"},
            },
            "limit": limit,
            "return_entries": False,
        }
        if cursor:
            payload["cursor"] = cursor
        body = self.call(
            lambda: self._raw("v2/orders/search", method="POST", json=payload),
            what="search orders",
        )
        return list(body.get("orders") or []), body.get("cursor")

    def batch_retrieve_orders(self, order_ids: list[str]) -> list[dict[str, Any]]:
        """The orders with these ids (BatchRetrieveOrders, at most 100 ids; ids Square does not
        know are left out of the answer)."""
        if len(order_ids) > BATCH_RETRIEVE_LIMIT:
            raise ValueError(f"at most {BATCH_RETRIEVE_LIMIT} order ids a call")
        body = self.call(
            lambda: self._raw(
                "v2/orders/batch-retrieve", method="POST", json={"order_ids": order_ids}
            ),
            what="batch retrieve orders",
        )
        return list(body.get("orders") or [])

    def payments(
        self, *, location_id: str, updated_from: str, updated_to: str, created_from: str
    ) -> Iterator[list[dict[str, Any]]]:
        """Payments updated in [updated_from, updated_to) and created since created_from (Square
        otherwise limits the listing to payments created in the last year)."""
        yield from self._cursor_pages(
            "v2/payments",
            "payments",
            what="payments",
            params={
                "location_id": location_id,
                "begin_time": created_from,
                "updated_at_begin_time": updated_from,
                "updated_at_end_time": updated_to,
                "sort_field": "UPDATED_AT",
                "limit": 100,
            },
        )

    def refunds(
        self, *, location_id: str, begin_time: str, end_time: str
    ) -> Iterator[list[dict[str, Any]]]:
        yield from self._cursor_pages(
            "v2/refunds",
            "refunds",
            what="refunds",
            params={
                "location_id": location_id,
                "begin_time": begin_time,
                "end_time": end_time,
                "limit": 100,
            },
        )
