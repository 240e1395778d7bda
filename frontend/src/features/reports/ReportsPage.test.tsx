import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import ReportsPage from "@/features/reports/ReportsPage";
import { breakdown, json, metrics, renderPage, stubApi, summary } from "@/test/reportFixtures";

const items = breakdown("item", [
  { key: "a", label: "Flat white", metrics: metrics({ net_sales: "99.50", units_sold: 40 }) },
  { key: "b", label: "Croissant", metrics: metrics({ net_sales: "120.00", units_sold: 60 }) },
  { key: "c", label: "Crème brûlée", metrics: metrics({ net_sales: "1000.10", units_sold: 5 }) },
]);

function routes(url: URL): Response | undefined {
  if (url.pathname === "/api/v1/reports/summary") return json(summary());
  if (url.pathname === "/api/v1/reports/breakdown" && url.searchParams.get("by") === "item") return json(items);
  return undefined;
}

const saved: string[] = [];

// Whole pages render in jsdom: slow on a busy machine, so more than the 5 s default.
vi.setConfig({ testTimeout: 20_000 });

describe("ReportsPage", () => {
  beforeEach(() => {
    URL.createObjectURL = vi.fn(() => "blob:report");
    URL.revokeObjectURL = vi.fn();
    saved.length = 0;
    // jsdom cannot download: record which file the page handed to the browser.
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(`${this.download} <- ${this.href}`);
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it("shows the sales summary with the comparison and change", async () => {
    stubApi(routes);
    renderPage(<ReportsPage />);
    const table = await screen.findByTestId("report-summary", {}, { timeout: 5000 });
    const row = (name: string) => within(table).getByRole("rowheader", { name }).closest("tr") as HTMLElement;
    expect(within(table).getByRole("columnheader", { name: /Previous period/ })).toBeInTheDocument();
    expect(row("Net sales")).toHaveTextContent(/£1,200\.00.*£1,000\.00.*\+20\.0%/);
    expect(row("Conversion rate")).toHaveTextContent(/25\.0%.*—.*—/);
    await userEvent.type(within(table).getByRole("searchbox", { name: "Search metrics" }), "tax");
    expect(within(table).getAllByRole("rowheader").map((th) => th.textContent)).toEqual(["Tax", "Additive tax"]);
  });

  it("keeps the tab in the URL; an item table sorts by value and searches", async () => {
    stubApi(routes);
    const { router } = renderPage(<ReportsPage />, "/reports?range=last_week");
    await userEvent.click(await screen.findByRole("tab", { name: "By item" }, { timeout: 5000 }));
    expect(router.state.location.search).toBe("?range=last_week&tab=item");
    const table = await screen.findByTestId("report-item", {}, { timeout: 5000 });
    const names = () => within(table).getAllByRole("rowheader").map((th) => th.textContent);
    expect(names()).toEqual(["Crème brûlée", "Croissant", "Flat white", "Total"]);
    await userEvent.click(within(table).getByRole("button", { name: /^Units sold/ }));
    expect(names()).toEqual(["Croissant", "Flat white", "Crème brûlée", "Total"]);
    await userEvent.type(within(table).getByRole("searchbox"), "creme");
    // Under a search the total is the shown rows' (labelled), with the whole period's beneath.
    expect(names()).toEqual(["Crème brûlée", "Total of 1 shown row", "Whole period (all 3 rows)"]);
    expect(within(table).getByText("1 of 3 rows match")).toBeInTheDocument();
    const shownTotal = within(table).getByRole("rowheader", { name: "Total of 1 shown row" }).closest("tr") as HTMLElement;
    expect(shownTotal).toHaveTextContent(/£1,000\.10.*5/);
  });

  it("compares each row with the filter bar's comparison, and says why a negative average is not shown", async () => {
    const hours = {
      ...breakdown("hour", [
        {
          key: "10",
          label: "10:00",
          metrics: metrics({ net_sales: "500.00", average_transaction_value: "10.00" }),
          comparison: metrics({ net_sales: "400.00" }),
          change: { net_sales: 0.25 },
        },
        {
          key: "16",
          label: "16:00",
          metrics: metrics({ net_sales: "-26.60", transactions: 1, units_sold: -8, average_transaction_value: "-26.60", units_per_transaction: -8 }),
          comparison: null,
          change: { net_sales: null },
        },
      ]),
      comparison: { date_from: "2025-12-31", date_to: "2026-01-06", metrics: metrics({ net_sales: "1000.00" }) },
    };
    hours.total = { metrics: metrics(), change: { net_sales: 0.2 } };
    stubApi((url) =>
      url.pathname === "/api/v1/reports/breakdown" && url.searchParams.get("by") === "hour"
        ? url.searchParams.get("compare") === "previous_period"
          ? json(hours)
          : undefined
        : routes(url),
    );
    renderPage(<ReportsPage />, "/reports?tab=hour");
    const table = await screen.findByTestId("report-hour", {}, { timeout: 5000 });
    const row = (name: string) => within(table).getByRole("rowheader", { name }).closest("tr") as HTMLElement;
    expect(within(table).getByRole("columnheader", { name: /Previous period/ })).toBeInTheDocument();
    expect(row("10:00")).toHaveTextContent(/£500\.00.*£400\.00.*\+25\.0%/);
    expect(within(row("10:00")).getByText("+25.0%")).toHaveAttribute("data-tone", "good");
    expect(row("Total")).toHaveTextContent(/£1,200\.00.*£1,000\.00.*\+20\.0%/);
    // Returns exceeded sales at 16:00: no "ATV −£26.60", and the note says why.
    // Net sales −£26.60 is shown (it is what happened); the averages are not.
    expect(row("16:00").textContent?.match(/26\.60/g)).toHaveLength(1);
    expect(row("16:00")).not.toHaveTextContent("8.00");
    expect(row("16:00")).toHaveTextContent(/—\*.*—\*/);
    expect(within(table).getAllByTitle("Returns exceeded sales in this hour")).toHaveLength(2);
    expect(screen.getByTestId("returns-exceeded-note")).toHaveTextContent("Returns exceeded sales in this hour");
  });

  it("downloads the table as CSV for the page's filters", async () => {
    const seen = stubApi((url) =>
      url.pathname === "/api/v1/reports/export.csv"
        ? new Response("label,net_sales\n", { headers: { "Content-Disposition": 'attachment; filename="items.csv"' } })
        : routes(url),
    );
    renderPage(<ReportsPage />, "/reports?tab=item&stores=4&currency=EUR");
    const table = await screen.findByTestId("report-item", {}, { timeout: 5000 });
    await userEvent.click(within(table).getByRole("button", { name: "Download CSV" }));
    expect(await screen.findByText("Downloaded items.csv")).toBeInTheDocument();
    const asked = seen.find((u) => u.pathname === "/api/v1/reports/export.csv");
    expect(asked?.searchParams.get("by")).toBe("item");
    expect(asked?.searchParams.get("location_ids")).toBe("4");
    expect(asked?.searchParams.get("currency")).toBe("EUR");
    expect(saved).toEqual(["items.csv <- blob:report"]);
  });

  it("prepares a year's workbook in the background with a progress bar", async () => {
    let release: () => void = () => {};
    const finished = new Promise<void>((resolve) => (release = resolve));
    let done = false;
    void finished.then(() => (done = true));
    const job = (state: string, progress: number) => ({
      id: 7,
      state,
      progress,
      error: null,
      filename: state === "done" ? "Harbour 2025 GBP.xlsx" : null,
      download_url: state === "done" ? "/api/v1/reports/exports/7/download" : null,
      expires_at: null,
    });
    const seen = stubApi((url) => {
      if (url.pathname === "/api/v1/reports/exports") return json(job("queued", 0), 202);
      if (url.pathname === "/api/v1/reports/exports/7") return json(done ? job("done", 1) : job("running", 0.5));
      if (url.pathname === "/api/v1/reports/exports/7/download") return new Response("PK");
      return routes(url);
    });
    renderPage(<ReportsPage />, "/reports?range=custom&from=2025-01-01&to=2025-12-31");
    await userEvent.click(await screen.findByRole("button", { name: "Export to Excel" }, { timeout: 5000 }));
    const status = screen.getByTestId("export-status");
    await waitFor(() => expect(status).toHaveTextContent("Building the workbook… 50%"));
    expect(within(status).getByRole("progressbar", { name: "Export progress" })).toHaveAttribute("aria-valuenow", "50");
    release();
    expect(await within(status).findByText("Downloaded Harbour 2025 GBP.xlsx", {}, { timeout: 4000 })).toBeInTheDocument();
    expect(seen.some((u) => u.pathname === "/api/v1/reports/export.xlsx")).toBe(false);
    expect(saved).toEqual(["Harbour 2025 GBP.xlsx <- blob:report"]);
  });
});
