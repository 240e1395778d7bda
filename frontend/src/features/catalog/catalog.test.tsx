// A metric or breakdown the backend declares reaches the web app through the catalog alone: these
// tests add one to a copy of the real catalog (src/test/catalog.fixture.json) and change no code.
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { KpiCards } from "@/features/dashboard/components/KpiCards";
import { type Catalog, type CatalogBreakdown, type CatalogMetric, setCatalog } from "@/features/catalog/registry";
import {
  changeColor,
  changeTone,
  formatMetric,
  METRIC_NAMES,
  metricKind,
  metricLabel,
  metricUpIsGood,
} from "@/features/reports/metrics";
import ReportsPage from "@/features/reports/ReportsPage";
import fixture from "@/test/catalog.fixture.json";
import { breakdown, json, metrics, renderPage, stubApi, summary } from "@/test/reportFixtures";

const real = fixture as Catalog;

const voids: CatalogMetric = {
  name: "voids",
  label: "Voids given",
  short_label: "Voids",
  kind: "money",
  up_is_good: false,
  additive: true,
  terms: [[1, "voids"]],
  in_summary: true,
  definition: "Σ comp discounts, ex-tax",
  description: "What was given away.",
};

const device: CatalogBreakdown = {
  name: "device",
  label: "By device",
  header: "Device",
  sheet: "By device",
  sheet_header: "Device",
  grain: "day",
  metrics: ["net_sales", "voids", "transactions"],
  columns: ["voids", "net_sales"],
  ordinal: false,
  export_sort: "net_sales",
  fractional_counts: false,
};

/** The real catalog with "voids" after discounts and a "By device" breakdown at the end. */
function extended(): Catalog {
  const at = real.metrics.findIndex((m) => m.name === "discounts") + 1;
  return {
    ...real,
    metrics: [...real.metrics.slice(0, at), voids, ...real.metrics.slice(at)],
    breakdowns: [...real.breakdowns, device],
  };
}

// Whole pages render in jsdom: slow on a busy machine, so more than the 5 s default.
vi.setConfig({ testTimeout: 20_000 });

describe("the catalog", () => {
  afterEach(() => {
    setCatalog(real);
    vi.unstubAllGlobals();
  });

  it("gives a metric it alone declares its label, kind, order and colour", () => {
    expect(metricLabel("voids")).toBe("Voids");
    setCatalog(extended());
    expect(metricLabel("voids")).toBe("Voids given");
    expect(metricLabel("voids", true)).toBe("Voids");
    expect(metricKind("voids")).toBe("money");
    expect(formatMetric("voids", "12.50", "GBP", "en-GB")).toBe("£12.50");
    expect(METRIC_NAMES.indexOf("voids")).toBe(METRIC_NAMES.indexOf("discounts") + 1);
    expect(metricUpIsGood("voids")).toBe(false);
    expect(changeTone("voids", 0.1)).toBe("bad");
    expect(changeColor("voids", 0.1)).toBe("red.9");
    expect(changeTone("voids", -0.1)).toBe("good");
    expect(changeColor("voids", -0.1)).toBe("teal.9");
  });

  it("colours a change by whether up is good, and leaves unknown names sensible", () => {
    expect(changeTone("net_sales", 0.2)).toBe("good");
    expect(changeTone("net_sales", -0.2)).toBe("bad");
    expect(changeTone("returns", 0.05)).toBe("bad");
    expect(changeTone("discounts", -0.1)).toBe("good");
    expect(changeTone("tax", 0.3)).toBe("neutral");
    expect(changeColor("tax", 0.3)).toBe("gray.7");
    expect(changeTone("net_sales", 0)).toBe("neutral");
    expect(changeTone("net_sales", null)).toBe("neutral");
    expect(metricLabel("sales_per_hour")).toBe("Sales per hour");
    expect(metricKind("sales_per_hour")).toBe("count");
    expect(changeTone("sales_per_hour", 0.5)).toBe("neutral");
  });

  it("shows a summary row for a metric it alone declares, coloured by its direction", async () => {
    setCatalog(extended());
    const data = summary({
      metrics: metrics({ voids: "12.50" }),
      change: { net_sales: 0.2, voids: 0.1, returns: 0.05, discounts: -0.1, tax: 0.02 },
    });
    stubApi((url) => (url.pathname === "/api/v1/reports/summary" ? json(data) : undefined));
    renderPage(<ReportsPage />);
    const table = await screen.findByTestId("report-summary", {}, { timeout: 5000 });
    const row = (name: string) => within(table).getByRole("rowheader", { name }).closest("tr") as HTMLElement;
    expect(row("Voids given")).toHaveTextContent(/£12\.50/);
    const tone = (name: string) => row(name).querySelector("[data-tone]")?.getAttribute("data-tone");
    expect(tone("Voids given")).toBe("bad");
    expect(tone("Net sales")).toBe("good");
    expect(tone("Returns")).toBe("bad");
    expect(tone("Discounts & comps")).toBe("good");
    expect(tone("Tax")).toBe("neutral");
    const names = within(table).getAllByRole("rowheader").map((th) => th.textContent);
    expect(names.indexOf("Voids given")).toBe(names.indexOf("Discounts & comps") + 1);
  });

  it("gives a breakdown it alone declares a tab with its header and columns", async () => {
    setCatalog(extended());
    const rows = [
      { key: "ipad", label: "iPad", metrics: { net_sales: "800.00", voids: "5.00", transactions: 60 } },
      { key: "phone", label: "Phone", metrics: { net_sales: "400.00", voids: "7.50", transactions: 40 } },
    ];
    const seen = stubApi((url) => {
      if (url.pathname === "/api/v1/reports/summary") return json(summary());
      if (url.pathname === "/api/v1/reports/breakdown" && url.searchParams.get("by") === "device") {
        return json({ ...breakdown("location", rows), by: "device", total: { metrics: { net_sales: "1200.00", voids: "12.50" } } });
      }
      return undefined;
    });
    const { router } = renderPage(<ReportsPage />, "/reports");
    expect(screen.getByText(/Sales by store, .* weekday and device/)).toBeInTheDocument();
    await userEvent.click(await screen.findByRole("tab", { name: "By device" }, { timeout: 5000 }));
    expect(router.state.location.search).toBe("?tab=device");
    const table = await screen.findByTestId("report-device", {}, { timeout: 5000 });
    expect(within(table).getAllByRole("columnheader").map((th) => th.textContent?.trim())).toEqual(["Device", "Voids", "Net sales"]);
    // Sorted by its first figure, largest first.
    expect(within(table).getAllByRole("rowheader").map((th) => th.textContent)).toEqual(["Phone", "iPad", "Total"]);
    expect(within(table).getByRole("rowheader", { name: "Total" }).closest("tr")).toHaveTextContent(/£12\.50.*£1,200\.00/);
    expect(seen.some((u) => u.pathname === "/api/v1/reports/breakdown" && u.searchParams.get("by") === "device")).toBe(true);
  });

  it("colours the KPI cards' changes by whether up is good", () => {
    renderPage(
      <KpiCards
        summary={summary({ change: { net_sales: 0.2, transactions: 0, units_per_transaction: -0.1, footfall: null } })}
        compareLabel="Previous period"
      />,
    );
    const change = (name: string) => within(screen.getByTestId(`kpi-${name}`)).getByTestId("kpi-change");
    expect(change("net_sales")).toHaveAttribute("data-direction", "up");
    expect(change("net_sales")).toHaveAttribute("data-tone", "good");
    expect(change("units_per_transaction")).toHaveAttribute("data-direction", "down");
    expect(change("units_per_transaction")).toHaveAttribute("data-tone", "bad");
    expect(change("transactions")).toHaveAttribute("data-tone", "neutral");
  });
});
