"""A local stand-in for the exchangeratesapi.io v1 API, served over real HTTP for the tests.

It follows the provider's documented contract: `GET /v1/latest`, `GET /v1/YYYY-MM-DD` and
`GET /v1/timeseries?start_date=..&end_date=..`, each with `access_key`; rates per 1 EUR;
success bodies `{"success": true, "base": "EUR", "date", "rates": {cur: rate}}` (timeseries:
`{"success": true, "timeseries": true, "start_date", "end_date", "base", "rates": {date: {cur:
rate}}}`); failures `{"success": false, "error": {"code", "type", "info"}}` (101 missing or
invalid key, 104 monthly quota, 105 endpoint not in the plan, 106 no rates, 302 bad date, 505
time frame too long). A historical date with nothing published (weekend, holiday) answers with
the last published day's rates and that day's `date`.

Knobs: `plan="free"` refuses timeseries (105); `quota` (requests left, None = unlimited);
`down` (503 with an HTML page, as a proxy in front of a dead service would answer).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

PublishedRates = dict[date, dict[str, Decimal]]


@dataclass
class FakeRatesApi:
    published: PublishedRates
    key: str = "test-access-key"
    plan: str = "professional"
    quota: int | None = None
    down: bool = False
    requests: list[str] = field(default_factory=list)  # path and query, access_key removed
    _server: ThreadingHTTPServer | None = None

    # --- lifecycle

    def start(self) -> FakeRatesApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, content_type = fake.answer(self.path)
                payload = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        """The `latest` endpoint's URL, the form the deployment plan's EXCHANGE_RATE_API_URL has."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1/latest"

    # --- the API

    def answer(self, raw_path: str) -> tuple[int, str, str]:
        url = urlparse(raw_path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        key = query.pop("access_key", None)
        self.requests.append(url.path + ("?" + "&".join(f"{k}={v}" for k, v in query.items())))
        if self.down:
            return 503, "<html><body>503 Service Temporarily Unavailable</body></html>", "text/html"
        if not key:
            return self.error(
                401, 101, "missing_access_key", "You have not supplied an API Access Key."
            )
        if key != self.key:
            return self.error(
                401, 101, "invalid_access_key", "You have not supplied a valid API Access Key."
            )
        if self.quota is not None:
            if self.quota <= 0:
                return self.error(
                    429,
                    104,
                    "usage_limit_reached",
                    "Your monthly API request volume has been reached. Please upgrade your plan.",
                )
            self.quota -= 1
        path = url.path.removeprefix("/v1/")
        if path == "latest":
            day = max(self.published)
            return self.ok({"timestamp": _timestamp(day), "date": day.isoformat()}, day)
        if path == "timeseries":
            return self.timeseries(query)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", path):
            try:
                asked = date.fromisoformat(path)
            except ValueError:
                return self.error(400, 302, "invalid_date", "You have entered an invalid date.")
            published = self.on_or_before(asked)
            if published is None:
                return self.error(
                    404,
                    106,
                    "no_rates_available",
                    "Your query did not return any results. Please try again.",
                )
            head = {"historical": True, "timestamp": _timestamp(published)}
            return self.ok({**head, "date": published.isoformat()}, published)
        return self.error(404, 103, "invalid_api_function", "This API Function does not exist.")

    def timeseries(self, query: dict[str, str]) -> tuple[int, str, str]:
        if self.plan == "free":
            return self.error(
                403,
                105,
                "function_access_restricted",
                "Access Restricted - Your current Subscription Plan does not support this API "
                "Function.",
            )
        try:
            start = date.fromisoformat(query["start_date"])
        except (KeyError, ValueError):
            return self.error(400, 502, "invalid_start_date", "No or an invalid start_date.")
        try:
            end = date.fromisoformat(query["end_date"])
        except (KeyError, ValueError):
            return self.error(400, 503, "invalid_end_date", "No or an invalid end_date.")
        if end < start:
            return self.error(400, 504, "invalid_time_frame", "The time frame is invalid.")
        if (end - start).days > 365:
            return self.error(400, 505, "time_frame_too_long", "The time frame exceeds 365 days.")
        by_day = {
            d.isoformat(): {c: float(r) for c, r in rates.items()}
            for d, rates in sorted(self.published.items())
            if start <= d <= end
        }
        body = {
            "success": True,
            "timeseries": True,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "base": "EUR",
            "rates": by_day,
        }
        return 200, json.dumps(body), "application/json"

    def on_or_before(self, day: date) -> date | None:
        earlier = [d for d in self.published if d <= day]
        if not earlier or day - max(earlier) > timedelta(days=7):
            return None
        return max(earlier)

    def ok(self, head: dict[str, Any], day: date) -> tuple[int, str, str]:
        # Floats print as their shortest repr, so the JSON carries the rates as published.
        rates = {"EUR": 1, **{c: float(r) for c, r in self.published[day].items()}}
        body = {"success": True, **head, "base": "EUR", "rates": rates}
        return 200, json.dumps(body), "application/json"

    def error(self, status: int, code: int, kind: str, info: str) -> tuple[int, str, str]:
        body = {"success": False, "error": {"code": code, "type": kind, "info": info}}
        return status, json.dumps(body), "application/json"


def _timestamp(day: date) -> int:
    return int(time.mktime(day.timetuple())) + 16 * 3600
