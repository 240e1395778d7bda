import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Traffic } from "@/features/traffic/api";
import TrafficPage from "@/features/traffic/TrafficPage";
import { breakdown, json, locationRows, rates, renderPage, stubApi } from "@/test/reportFixtures";

function traffic(used: number, estimates: { choice: "include" | "leave_out"; hours: number } = { choice: "leave_out", hours: 0 }): Traffic {
  const figures = { footfall: 120, transactions: 30, net_sales: "450.00", conversion_rate: 0.25, sales_per_visitor: "3.75" };
  return {
    currency: "GBP",
    date_from: "2026-11-23",
    date_to: "2026-11-29",
    location_ids: [4, 9],
    lfl: false,
    footfall_estimates: estimates.choice,
    coverage: { store_days_used: used, store_days_daily_only: 2, store_days_without_sales: 0, store_hours_estimated: estimates.hours },
    by_hour: used
      ? [
          { hour: 14, metrics: figures, footfall_estimated_hours: estimates.hours },
          { hour: 15, metrics: figures, footfall_estimated_hours: 0 },
        ]
      : [],
    by_weekday_hour: used ? [{ weekday: 5, hour: 14, days: 2, average_footfall: 60, metrics: figures }] : [],
    rates,
    recalculating: [],
  };
}

function routes(used: number, estimates?: { choice: "include" | "leave_out"; hours: number }) {
  return (url: URL): Response | undefined => {
    switch (url.pathname) {
      case "/api/v1/locations":
        return json({ total: 1, items: [{ id: 4, name: "Quay Street", currency: "GBP", timezone: "Europe/London" }] });
      case "/api/v1/reports/traffic":
        return json(traffic(used, estimates));
      case "/api/v1/reports/breakdown":
        return json(breakdown("location", locationRows));
    }
    return undefined;
  };
}

vi.setConfig({ testTimeout: 20_000 });

describe("TrafficPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows an hour's figures as the API sends them, and what was left out", async () => {
    stubApi(routes(5));
    renderPage(<TrafficPage />, "/traffic?range=last_week");
    const table = await screen.findByTestId("traffic-by-hour", {}, { timeout: 5000 });
    const row = within(table).getByRole("row", { name: /^14:00/ });
    expect(row).toHaveTextContent("120");
    expect(row).toHaveTextContent("25.0%");
    expect(row).toHaveTextContent("£3.75");
    expect(screen.getByTestId("traffic-coverage")).toHaveTextContent(
      "Over 5 store-days with hourly footfall counts; 2 store-days with only a whole-day count are left out",
    );
    expect(screen.getByTestId("power-hours")).toBeInTheDocument();
  });

  it("marks the hours whose footfall includes estimates, and says how many", async () => {
    stubApi(routes(5, { choice: "include", hours: 3 }));
    renderPage(<TrafficPage />, "/traffic?range=last_week&footfall_estimates=include");
    const table = await screen.findByTestId("traffic-by-hour", {}, { timeout: 5000 });
    const marked = within(within(table).getByRole("row", { name: /^14:00/ })).getByText(/120 est\./);
    expect(marked).toHaveAttribute("title", "Includes 3 store-hours estimated from earlier weeks");
    expect(within(table).getByRole("row", { name: /^15:00/ })).not.toHaveTextContent("est.");
    expect(screen.getByTestId("traffic-coverage")).toHaveTextContent(
      "Includes 3 store-hours without a count, estimated from the same hour of earlier weeks",
    );
  });

  it("left out, says what the estimates would add", async () => {
    stubApi(routes(5, { choice: "leave_out", hours: 1 }));
    renderPage(<TrafficPage />, "/traffic?range=last_week");
    const table = await screen.findByTestId("traffic-by-hour", {}, { timeout: 5000 });
    expect(table).not.toHaveTextContent("est.");
    expect(screen.getByTestId("traffic-coverage")).toHaveTextContent(
      "1 store-hour without a count could be estimated from earlier weeks: switch on “Include estimated footfall”",
    );
  });

  it("without hourly counts, says how to get them", async () => {
    stubApi(routes(0));
    renderPage(<TrafficPage />, "/traffic");
    const empty = await screen.findByTestId("empty-state", {}, { timeout: 5000 });
    expect(empty).toHaveTextContent("Connect a people counter or enter hourly counts to see traffic by hour");
    expect(within(empty).getByRole("link", { name: "Settings → API keys" })).toHaveAttribute("href", "/settings/api-keys");
  });
});
