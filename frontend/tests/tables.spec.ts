import { readFileSync } from "node:fs";

import { type APIRequestContext, expect, type Locator, type Page, test } from "@playwright/test";

import { checkPage, connectSquare, PASSWORD, registerOwner } from "./helpers";

// Issue #23, points 9 and 6, on the simulated Square account (2 stores, ~18 days of sales; see
// tests/e2e-server.sh): every report table's comparison columns and the By day table show the
// API's figures; a search's total is the shown rows' and says so; an hour whose returns exceeded
// its sales shows no negative average.

type Metrics = Record<string, string | number | null>;
type Row = { key: string; label: string; metrics: Metrics; comparison: Metrics | null; change: Record<string, number | null> | null };
type Breakdown = { currency: string; rows: Row[]; total: { metrics: Metrics }; comparison: { metrics: Metrics } | null };
type Point = { start: string; metrics: Metrics; comparison_metrics: Metrics | null; change: Record<string, number | null> | null };
type Series = { currency: string; points: Point[] };

function iso(date: Date): string {
  const y = date.getFullYear();
  const m = String(date.getMonth() + 1).padStart(2, "0");
  const d = String(date.getDate()).padStart(2, "0");
  return `${y}-${m}-${d}`;
}

function daysAgo(n: number): string {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return iso(d);
}

async function apiGet<T>(request: APIRequestContext, email: string, path: string, query: Record<string, string>): Promise<T> {
  // The e2e server's tokens last a minute: each read signs in afresh.
  const login = await request.post("/api/v1/auth/login", { data: { email, password: PASSWORD } });
  expect(login.ok()).toBe(true);
  const { access_token } = (await login.json()) as { access_token: string };
  const response = await request.get(`/api/v1/${path}`, { params: query, headers: { Authorization: `Bearer ${access_token}` } });
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()) as T;
}

/** A figure as the page writes it, in the browser's own locale (money, counts, ratios, change). */
async function shown(page: Page, kind: "money" | "count" | "change", value: string | number | null | undefined, currency: string): Promise<string> {
  if (value === null || value === undefined) return "—";
  return page.evaluate(
    ([k, raw, cur]) => {
      const locale = navigator.language;
      if (k === "money") return new Intl.NumberFormat(locale, { style: "currency", currency: cur }).format(Number(raw));
      if (k === "change")
        return new Intl.NumberFormat(locale, { style: "percent", signDisplay: "exceptZero", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Number(raw));
      return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(Number(raw));
    },
    [kind, String(value), currency] as const,
  );
}

function row(table: Locator, page: Page, label: string): Locator {
  return table.locator("tbody tr").filter({ has: page.getByRole("rowheader", { name: label, exact: true }) });
}

async function setUp(page: Page): Promise<string> {
  const owner = await registerOwner(page, "Table Figures");
  await connectSquare(page);
  await expect(page.getByTestId("square-connection")).toContainText("Backfill complete", { timeout: 120_000 });
  return owner.email;
}

const TABS = [
  ["location", "net_sales", "tables-stores"],
  ["item", "net_sales", "tables-items"],
  ["category", "net_sales", "tables-categories"],
  ["team_member", "net_sales", "tables-team"],
  ["payment_method", "total_collected", "tables-payments"],
  ["hour", "net_sales", "tables-hours"],
] as const;

test("9 · comparison columns in the store, item, category, team, payment and hour tables, and a by-day table, equal the API's", async ({
  page,
  request,
}) => {
  test.setTimeout(360_000);
  const email = await setUp(page);
  const [from, to] = [daysAgo(7), daysAgo(1)];
  const period = { date_from: from, date_to: to, compare: "previous_period" };
  for (const [by, figure, shot] of TABS) {
    await page.goto(`/reports?range=custom&from=${from}&to=${to}&tab=${by}`);
    const table = page.getByTestId(`report-${by}`);
    await expect(table.getByRole("columnheader", { name: /^Previous period/ })).toBeVisible();
    await expect(table.getByRole("columnheader", { name: /^Change/ })).toBeVisible();
    const api = await apiGet<Breakdown>(request, email, "reports/breakdown", { ...period, by });
    expect(api.comparison, by).not.toBeNull();
    // The compared figure's three columns follow the row's name: this period, comparison, change.
    const rows = by === "hour" ? api.rows : api.rows.slice(0, 6);
    expect(rows.length, by).toBeGreaterThan(0);
    for (const r of rows) {
      const cells = row(table, page, r.label).locator("td");
      await expect(cells.nth(0), `${by} ${r.label}`).toHaveText(await shown(page, "money", r.metrics[figure], api.currency));
      await expect(cells.nth(1), `${by} ${r.label}`).toHaveText(await shown(page, "money", r.comparison?.[figure], api.currency));
      await expect(cells.nth(2), `${by} ${r.label}`).toHaveText(await shown(page, "change", r.change?.[figure], api.currency));
    }
    const total = table.locator("tfoot tr").first().locator("td");
    await expect(total.nth(0)).toHaveText(await shown(page, "money", api.total.metrics[figure], api.currency));
    await expect(total.nth(1)).toHaveText(await shown(page, "money", api.comparison?.metrics[figure], api.currency));
    // No page scrolls sideways: a wide table scrolls inside its own box.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    // The comparison columns sort like any other.
    await table.getByRole("button", { name: /^Previous period/ }).click();
    await expect(table.getByRole("columnheader", { name: /^Previous period/ })).toHaveAttribute("aria-sort", "descending");
    await checkPage(page, shot);
  }

  // By day: each day with its comparison day and the change, as the series (and the CSV) say.
  await page.goto(`/reports?range=custom&from=${from}&to=${to}&tab=day`);
  const days = page.getByTestId("report-day");
  await expect(days.getByRole("columnheader", { name: /^Previous period/ })).toBeVisible();
  const series = await apiGet<Series>(request, email, "reports/timeseries", { ...period, granularity: "day" });
  const bodyRows = days.locator("tbody tr");
  await expect(bodyRows).toHaveCount(series.points.length);
  for (const [i, point] of series.points.entries()) {
    const cells = bodyRows.nth(i).locator("td");
    await expect(cells.nth(0), point.start).toHaveText(await shown(page, "money", point.metrics.net_sales, series.currency));
    await expect(cells.nth(1), point.start).toHaveText(await shown(page, "money", point.comparison_metrics?.net_sales, series.currency));
    await expect(cells.nth(2), point.start).toHaveText(await shown(page, "change", point.change?.net_sales, series.currency));
    await expect(cells.nth(3), point.start).toHaveText(await shown(page, "count", point.metrics.transactions, series.currency));
  }
  const [csv] = await Promise.all([page.waitForEvent("download"), days.getByRole("button", { name: "Download CSV" }).click()]);
  const csvPath = test.info().outputPath(csv.suggestedFilename());
  await csv.saveAs(csvPath);
  const [head, ...lines] = readFileSync(csvPath, "utf8").trim().split(/\r?\n/);
  const net = (head ?? "").split(",").indexOf("net_sales");
  expect(lines.map((line) => line.split(",")[net])).toEqual(series.points.map((p) => p.metrics.net_sales));
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await checkPage(page, "tables-days");
});

test("6 · a search's total is the shown rows' and says so; an hour whose returns exceeded its sales shows no negative ATV", async ({
  page,
  request,
}) => {
  test.setTimeout(360_000);
  const email = await setUp(page);
  const [from, to] = [daysAgo(14), daysAgo(1)];
  const items = await apiGet<Breakdown>(request, email, "reports/breakdown", { date_from: from, date_to: to, compare: "none", by: "item" });
  // A search that leaves some items but not all: the first three letters of the best seller.
  const term = (items.rows[0]?.label ?? "").slice(0, 3).toLowerCase();
  const matching = items.rows.filter((r) => r.label.toLowerCase().includes(term));
  expect(matching.length).toBeGreaterThan(0);
  expect(matching.length).toBeLessThan(items.rows.length);
  const cents = matching.reduce((sum, r) => sum + Math.round(Number(r.metrics.net_sales) * 100), 0);
  await page.goto(`/reports?range=custom&from=${from}&to=${to}&tab=item&compare=none`);
  const table = page.getByTestId("report-item");
  await table.getByRole("searchbox", { name: "Search items" }).fill(term);
  const label = `Total of ${matching.length} shown ${matching.length === 1 ? "row" : "rows"}`;
  const shownTotal = table.locator("tfoot tr").filter({ has: page.getByRole("rowheader", { name: label }) });
  await expect(shownTotal.locator("td").first()).toHaveText(await shown(page, "money", (cents / 100).toFixed(2), items.currency));
  // The whole period's total is still there, named as such, never under the filtered rows alone.
  const whole = table.locator("tfoot tr").filter({ has: page.getByRole("rowheader", { name: /^Whole period/ }) });
  await expect(whole.locator("td").first()).toHaveText(await shown(page, "money", items.total.metrics.net_sales, items.currency));
  await expect(table.locator("tfoot").getByRole("rowheader", { name: "Total", exact: true })).toHaveCount(0);
  await checkPage(page, "tables-search");

  // An hour of one store's day whose returns exceeded its sales (net sales below zero, a sale made).
  const locations = await apiGet<{ items: { id: number }[] }>(request, email, "locations", {});
  const ids = locations.items.map((l) => l.id);
  let found: { day: string; store: number; hour: Row; currency: string } | null = null;
  for (let n = 1; n <= 20 && !found; n += 1) {
    for (const store of ids) {
      const day = daysAgo(n);
      const hours = await apiGet<Breakdown>(request, email, "reports/breakdown", {
        date_from: day,
        date_to: day,
        compare: "none",
        by: "hour",
        location_ids: String(store),
      });
      const hour = hours.rows.find((r) => Number(r.metrics.average_transaction_value ?? 0) < 0);
      if (hour) {
        found = { day, store, hour, currency: hours.currency };
        break;
      }
    }
  }
  expect(found, "an hour of the simulated data with returns above its sales").not.toBeNull();
  if (!found) return;
  await page.goto(`/reports?range=custom&from=${found.day}&to=${found.day}&stores=${found.store}&tab=hour&compare=none`);
  const hours = page.getByTestId("report-hour");
  const hourRow = row(hours, page, found.hour.label);
  // Columns: net sales, transactions, ATV, UPT, ... (the catalog's for the hour table).
  await expect(hourRow.locator("td").nth(0)).toHaveText(await shown(page, "money", found.hour.metrics.net_sales, found.currency));
  await expect(hourRow.locator("td").nth(2)).toHaveText("—*");
  await expect(hourRow.locator("td").nth(2).locator("[title]")).toHaveAttribute("title", "Returns exceeded sales in this hour");
  // Nor a negative units per transaction: it is absent too, or not below zero.
  await expect(hourRow.locator("td").nth(3)).not.toHaveText(/^[-−]/);
  await expect(page.getByTestId("returns-exceeded-note")).toContainText("Returns exceeded sales in this hour");
  await checkPage(page, "tables-hour-returns");
});
