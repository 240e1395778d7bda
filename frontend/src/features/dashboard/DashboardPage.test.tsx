import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import DashboardPage from "@/features/dashboard/DashboardPage";
import {
  breakdown,
  coverage,
  heatmap,
  json,
  locationRows,
  rates,
  renderPage,
  stubApi,
  summary,
  timeseries,
} from "@/test/reportFixtures";

function reportRoutes(url: URL): Response | undefined {
  switch (url.pathname) {
    case "/api/v1/reports/summary":
      return json(summary());
    case "/api/v1/locations": {
      // Every store's footfall coverage over the period in one answer: Quay Street misses 3 days.
      const period = { date_from: url.searchParams.get("date_from"), date_to: url.searchParams.get("date_to"), days: 7 };
      const cover = (counted: number) => ({ ...period, days_counted: counted, days_closed: 0, days_missing: 7 - counted, last_entry_date: null });
      return json({
        total: 2,
        items: [
          { id: 4, name: "Quay Street", currency: "GBP", timezone: "Europe/London", footfall_coverage: cover(4) },
          { id: 9, name: "Dublin Docks", currency: "EUR", timezone: "Europe/Dublin", footfall_coverage: cover(7) },
        ],
      });
    }
    case "/api/v1/reports/timeseries":
      return json(timeseries);
    case "/api/v1/reports/breakdown":
      return json(breakdown("location", locationRows));
    case "/api/v1/reports/heatmap":
      return json(heatmap);
  }
  return undefined;
}

// Whole pages render in jsdom: slow on a busy machine, so more than the 5 s default.
vi.setConfig({ testTimeout: 20_000 });

describe("DashboardPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows the KPI cards with their change, for the filters in the URL", async () => {
    const seen = stubApi(reportRoutes);
    renderPage(<DashboardPage />, "/?range=last_week&compare=previous_year&currency=EUR&stores=4,9");
    const net = await screen.findByTestId("kpi-net_sales", {}, { timeout: 5000 });
    expect(within(net).getByTestId("kpi-value")).toHaveTextContent(/1,200\.00/);
    expect(within(net).getByTestId("kpi-change")).toHaveTextContent("+20.0% vs same weekdays last year");
    expect(within(net).getByTestId("kpi-change")).toHaveAttribute("data-direction", "up");
    expect(within(screen.getByTestId("kpi-units_per_transaction")).getByTestId("kpi-change")).toHaveTextContent(
      "-10.0% vs same weekdays last year",
    );
    // Conversion with store-days left out says so; its comparison had no footfall.
    const conversion = screen.getByTestId("kpi-conversion_rate");
    expect(within(conversion).getByTestId("kpi-value")).toHaveTextContent("25.0%");
    expect(within(conversion).getByTestId("kpi-change")).toHaveTextContent("Nothing to compare in the same weekdays last year");
    expect(within(conversion).getByTestId("conversion-coverage")).toHaveTextContent("2 store-days left out");

    const asked = seen.find((u) => u.pathname === "/api/v1/reports/summary" && u.searchParams.get("location_ids") === "4,9");
    expect(asked?.searchParams.get("compare")).toBe("previous_year");
    expect(asked?.searchParams.get("currency")).toBe("EUR");
  });

  it("moves a percentage in points and says why footfall is not compared", async () => {
    const base = summary();
    stubApi((url) =>
      url.pathname === "/api/v1/reports/summary"
        ? json(
            summary({
              comparison: {
                ...base.comparison!,
                metrics: { ...base.comparison!.metrics, conversion_rate: 0.2, footfall: 321 },
              },
              change: { ...base.change, conversion_rate: 0.25, footfall: 167.07 },
              difference: { conversion_rate: 0.05, footfall: 53629 },
              not_comparable: {
                footfall: "Footfall was entered for 300 store-days in this period and 1 store-day in the comparison",
              },
            }),
          )
        : reportRoutes(url),
    );
    renderPage(<DashboardPage />, "/?range=last_week&compare=previous_year");
    const conversion = await screen.findByTestId("kpi-conversion_rate", {}, { timeout: 5000 });
    // 25.0% against 20.0%: five points, not "+25.0%".
    expect(within(conversion).getByTestId("kpi-change")).toHaveTextContent("+5.0 pts vs same weekdays last year");
    expect(within(conversion).getByTestId("kpi-change")).toHaveAttribute("data-tone", "good");
    const footfall = screen.getByTestId("kpi-footfall");
    expect(within(footfall).getByTestId("kpi-change")).toHaveTextContent("Not comparable");
    expect(within(footfall).getByTestId("kpi-change")).not.toHaveTextContent("%");
    expect(within(footfall).getByTestId("kpi-not-comparable")).toHaveTextContent("1 store-day in the comparison");
  });

  it("ranks the stores, flags footfall gaps, and sorts from the keyboard", async () => {
    const seen = stubApi(reportRoutes);
    renderPage(<DashboardPage />);
    const table = await screen.findByTestId("league-table", {}, { timeout: 5000 });
    const storeNames = () => within(table).getAllByRole("rowheader").map((th) => th.textContent);
    expect(storeNames()).toEqual(["Quay Street", "Dublin Docks"]);
    await waitFor(() => expect(within(table).getByTestId("footfall-gap")).toHaveTextContent("3 days without footfall"));
    // One request gives every store's gaps, for the period on screen.
    const asked = seen.filter((u) => u.pathname === "/api/v1/locations");
    expect(asked).toHaveLength(1);
    expect(asked[0]?.searchParams.get("date_from")).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(within(table).getAllByTestId("footfall-gap")).toHaveLength(1);
    const quay = within(table).getByRole("rowheader", { name: "Quay Street" }).closest("tr") as HTMLElement;
    expect(within(quay).getByText("30.0%")).toBeInTheDocument();

    const sortByNet = within(table).getByRole("button", { name: /^Net sales/ });
    sortByNet.focus();
    await userEvent.keyboard("{Enter}");
    expect(storeNames()).toEqual(["Dublin Docks", "Quay Street"]);
    expect(sortByNet.closest("th")).toHaveAttribute("aria-sort", "ascending");
  });

  it("says so when the period has no sales", async () => {
    stubApi((url) =>
      url.pathname === "/api/v1/reports/summary"
        ? json(summary({ coverage: { ...coverage, days_with_sales: 0 } }))
        : reportRoutes(url),
    );
    renderPage(<DashboardPage />);
    expect(await screen.findByRole("heading", { name: "No sales in this period" }, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.queryByTestId("kpi-net_sales")).not.toBeInTheDocument();
  });

  it("names the rates the figures were converted at, and says so when they are weeks old", async () => {
    const stale = {
      ...rates,
      source: "ECB (bundled)",
      pairs: ["USD->GBP"],
      dates: { "2026-12-04": "2026-10-30" },
      pair_dates: { "USD->GBP": { "2026-12-04": "2026-10-30" } },
      first_converted_date: "2026-12-04",
      last_converted_date: "2026-12-04",
      oldest_rate_date: "2026-10-30",
      newest_rate_date: "2026-10-30",
      stale_days: 35,
      stale: true,
      notice: "Converted at ECB (bundled) rates of 30 Oct 2026 — the latest available, 35 days older than 4 Dec 2026: dates after 30 Oct 2026 use that rate.",
    };
    stubApi((url) => (url.pathname === "/api/v1/reports/summary" ? json(summary({ rates: stale })) : reportRoutes(url)));
    renderPage(<DashboardPage />);
    const figures = await screen.findByTestId("dashboard-figures", {}, { timeout: 5000 });
    const notice = within(figures).getByTestId("rates-stale");
    expect(notice).toHaveTextContent("Exchange rates 35 days old");
    expect(notice).toHaveTextContent("35 days older than 4 Dec 2026");
    // Above the headline figures, where they are read.
    expect(notice.compareDocumentPosition(within(figures).getByTestId("kpi-net_sales"))).toBe(
      Node.DOCUMENT_POSITION_FOLLOWING,
    );
    expect(within(figures).getByTestId("rates-note")).toHaveTextContent(
      "Converted to GBP at ECB reference rates (USD→GBP) of",
    );
  });

  it("says which stores are being recalculated after a settings change, and how far along", async () => {
    const job = {
      location_id: 9,
      state: "running" as const,
      reason: "Business day start changed from 00:00 to 04:00",
      done: 2,
      total: 3,
      progress: 0.6667,
      error: null,
      requested_at: "2026-01-14T08:00:00Z",
      started_at: "2026-01-14T08:00:01Z",
      finished_at: null,
    };
    stubApi((url) =>
      url.pathname === "/api/v1/reports/summary" ? json(summary({ recalculating: [job] })) : reportRoutes(url),
    );
    renderPage(<DashboardPage />);
    const notice = await screen.findByTestId("recalculation-notice", {}, { timeout: 5000 });
    expect(notice).toHaveAttribute("role", "status");
    expect(notice).toHaveTextContent(
      "Figures for Dublin Docks are being recalculated after a settings change — 66% done",
    );
    expect(notice).toHaveTextContent("Dublin Docks: Business day start changed from 00:00 to 04:00 (66%)");
    expect(within(notice).getByRole("progressbar", { name: "Recalculation progress" })).toHaveAttribute(
      "aria-valuenow",
      "66",
    );
    // The figures are still shown beside it.
    expect(screen.getByTestId("kpi-net_sales")).toBeInTheDocument();
  });

  it("shows no recalculation notice when nothing is being recalculated", async () => {
    stubApi(reportRoutes);
    renderPage(<DashboardPage />);
    await screen.findByTestId("kpi-net_sales", {}, { timeout: 5000 });
    expect(screen.queryByTestId("recalculation-notice")).not.toBeInTheDocument();
  });

  it("shows a failed load with a way to try again", async () => {
    let fail = true;
    stubApi((url) =>
      url.pathname === "/api/v1/reports/summary" && fail ? json({ detail: "No EUR rate for 2026-01-10" }, 422) : reportRoutes(url),
    );
    renderPage(<DashboardPage />);
    const alert = await screen.findByRole("alert", {}, { timeout: 5000 });
    expect(alert).toHaveTextContent("No EUR rate for 2026-01-10");
    fail = false;
    await userEvent.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("kpi-net_sales", {}, { timeout: 5000 })).toBeInTheDocument();
  });
});
