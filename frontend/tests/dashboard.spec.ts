import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { type APIRequestContext, type Download, expect, type Locator, type Page, test } from "@playwright/test";

import {
  checkPage,
  connectSquare,
  navLink,
  openFirstLoad,
  PASSWORD,
  registerOwner,
  shownFigure,
  signOut,
} from "./helpers";

// After the first sync of the simulated Square account (2 stores, ~18 days of sales; see
// tests/e2e-server.sh), the dashboard's figures are read and compared with the report API's for
// the same filters; then filters change, footfall is entered and conversion appears, the report
// tables sort and search, and the user signs out.

const KPIS = [
  "net_sales",
  "transactions",
  "average_transaction_value",
  "units_per_transaction",
  "footfall",
  "conversion_rate",
  "sales_per_visitor",
] as const;

// The backend's Python has openpyxl: it opens the downloaded workbook as a finance person's
// spreadsheet program would, and reads the Summary sheet's net sales.
const PYTHON = resolve(dirname(fileURLToPath(import.meta.url)), "../../.venv/bin/python");
const READ_WORKBOOK = `
import json, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1], read_only=True)
net = None
for row in book["Summary"].iter_rows(values_only=True):
    if row and row[0] == "Net sales":
        net = row[1]
print(json.dumps({"sheets": book.sheetnames, "net_sales": net}))
`;

async function openWorkbook(download: Download): Promise<{ sheets: string[]; net_sales: number | null }> {
  const path = test.info().outputPath(download.suggestedFilename());
  await download.saveAs(path);
  return JSON.parse(execFileSync(PYTHON, ["-c", READ_WORKBOOK, path], { encoding: "utf8" })) as {
    sheets: string[];
    net_sales: number | null;
  };
}

type Metrics = Record<string, string | number | null>;
type Summary = { currency: string; metrics: Metrics; change: Record<string, number | null> };
type Query = { date_from: string; date_to: string; compare: string; location_ids?: string; currency?: string };

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

function lastWeek(): { from: string; to: string } {
  const today = new Date();
  const monday = new Date(today);
  monday.setDate(today.getDate() - ((today.getDay() + 6) % 7) - 7);
  const sunday = new Date(monday);
  sunday.setDate(monday.getDate() + 6);
  return { from: iso(monday), to: iso(sunday) };
}

/**
 * An access token of the owner's own, from the API (not the page's session). The e2e server's
 * tokens last a minute, so each API read signs in afresh.
 */
async function apiToken(request: APIRequestContext, email: string): Promise<string> {
  const response = await request.post("/api/v1/auth/login", { data: { email, password: PASSWORD } });
  expect(response.ok()).toBe(true);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function apiSummary(request: APIRequestContext, email: string, query: Query): Promise<Summary> {
  const token = await apiToken(request, email);
  const response = await request.get("/api/v1/reports/summary", {
    params: query,
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()) as Summary;
}

/** Every KPI card shows the API's figure (value and formatted text) for `query`. */
async function expectKpisMatchApi(page: Page, request: APIRequestContext, email: string, query: Query): Promise<Summary> {
  const api = await apiSummary(request, email, query);
  for (const name of KPIS) {
    const card = page.getByTestId(`kpi-${name}`);
    const value = api.metrics[name] ?? null;
    const figure = card.getByTestId("kpi-value");
    await expect(figure, name).toHaveAttribute("data-value", value === null ? "" : String(value));
    await expect(figure, name).toHaveText(await shownFigure(page, name, value, api.currency));
  }
  return api;
}

async function choose(page: Page, label: string, option: string): Promise<void> {
  await page.getByRole("textbox", { name: label }).click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

async function rowNames(table: Locator): Promise<string[]> {
  return (await table.locator("tbody").getByRole("rowheader").allTextContents()).map((s) => s.trim());
}

test("the dashboard after the first sync: figures equal the API's, filters, footfall, reports", async ({
  browser,
  request,
}) => {
  test.setTimeout(480_000);
  const setup = await (await browser.newContext()).newPage();
  const owner = await registerOwner(setup, "Morning Figures");
  await connectSquare(setup);
  const card = setup.getByTestId("square-connection");
  await expect(card).toContainText("Backfill complete", { timeout: 120_000 });

  // First page load to a filled dashboard, in a fresh browser (cold cache) with the session's
  // cookie: printed, never asserted on (tests/firstload.spec.ts takes the median of several).
  const cookies = await setup.context().cookies();
  await setup.context().close();
  // The server's first report request loads its exchange rates; warm it so the figure is the page's.
  await apiSummary(request, owner.email, { date_from: daysAgo(7), date_to: daysAgo(1), compare: "previous_period" });
  const { page, load } = await openFirstLoad(browser, cookies);
  console.log(
    `first page load to a filled dashboard: ${load.filled} ms (target ≤ 1500 ms); DOMContentLoaded at ${load.domContentLoaded} ms`,
  );
  console.log(`requests of that load (start–end after navigation start):\n  ${load.requests.join("\n  ")}`);
  console.log(`long tasks: ${load.longTasks.join(", ")}`);

  // Default filters: the last 7 days against the previous period, every store, GBP.
  const week = await expectKpisMatchApi(page, request, owner.email, {
    date_from: daysAgo(7),
    date_to: daysAgo(1),
    compare: "previous_period",
  });
  expect(Number(week.metrics.net_sales)).toBeGreaterThan(0);
  expect(week.metrics.conversion_rate).toBeNull(); // no footfall yet
  await expect(page.getByTestId("kpi-conversion_rate")).toContainText("Enter footfall");
  const league = page.getByTestId("league-table");
  await expect(league.locator("tbody tr")).toHaveCount(2);
  await expect(league.getByTestId("footfall-gap")).toHaveCount(2);
  await checkPage(page, "dashboard");

  // Filters: a longer range, the previous year, one store, another currency.
  await choose(page, "Date range", "Last 28 days");
  await choose(page, "Compare with", "Same weekdays last year");
  await expect(page).toHaveURL(/range=last_28_days.*compare=previous_year/);
  await expectKpisMatchApi(page, request, owner.email, {
    date_from: daysAgo(28),
    date_to: daysAgo(1),
    compare: "previous_year",
  });
  const storeNames = await rowNames(league);
  await page.getByRole("textbox", { name: "Stores" }).click();
  await page.getByRole("option", { name: storeNames[1] ?? "", exact: true }).click();
  await page.keyboard.press("Escape");
  await expect(page).toHaveURL(/stores=\d+/);
  const storeId = new URL(page.url()).searchParams.get("stores") ?? "";
  await choose(page, "Currency", "EUR");
  await expect(page).toHaveURL(/currency=EUR/);
  const euro = await expectKpisMatchApi(page, request, owner.email, {
    date_from: daysAgo(28),
    date_to: daysAgo(1),
    compare: "previous_year",
    location_ids: storeId,
    currency: "EUR",
  });
  expect(euro.currency).toBe("EUR");
  await expect(league.locator("tbody tr")).toHaveCount(1);
  await expect(await rowNames(league)).toEqual([storeNames[1]]);
  await checkPage(page, "dashboard-filtered");

  // Enter last week's footfall for the first store: conversion appears for last week.
  await navLink(page, "Footfall").click();
  await page.getByRole("button", { name: "Previous week" }).click();
  const grid = page.getByTestId("footfall-grid");
  const row = grid.getByRole("row").filter({ has: page.getByRole("rowheader", { name: storeNames[0] ?? "" }) });
  const cells = row.getByRole("textbox");
  await cells.nth(0).click();
  for (const value of ["400", "380", "420", "450", "600", "700", "500"]) {
    await page.keyboard.type(value);
    await page.keyboard.press("ArrowRight");
  }
  await page.getByRole("button", { name: /^Save 7 changes$/ }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved: 7 added" })).toBeVisible();

  const { from, to } = lastWeek();
  await page.goto(`/?range=last_week&compare=none`);
  const withFootfall = await expectKpisMatchApi(page, request, owner.email, { date_from: from, date_to: to, compare: "none" });
  expect(withFootfall.metrics.footfall).toBe(3450);
  expect(withFootfall.metrics.conversion_rate).not.toBeNull();
  await expect(page.getByTestId("kpi-conversion_rate").getByTestId("kpi-value")).not.toHaveText("—");
  // The store with counts has no gap now; the other is flagged.
  const first = league.locator("tbody tr").filter({ has: page.getByRole("rowheader", { name: storeNames[0] ?? "" }) });
  await expect(first).toContainText("None");
  await expect(league.getByTestId("footfall-gap")).toHaveCount(1);
  await checkPage(page, "dashboard-footfall");

  // The trend draws the traffic figures beside sales (#25): last week's conversion by day.
  const trend = page.getByRole("region", { name: "Trend" });
  await trend.getByRole("textbox", { name: "Figure drawn" }).click();
  await page.getByRole("option", { name: "Conversion rate", exact: true }).click();
  await expect(page).toHaveURL(/trend=conversion_rate/);
  await expect(trend.getByRole("img", { name: /^Conversion rate by day/ })).toBeVisible();
  await expect(trend.locator(".recharts-line path").first()).toBeVisible();
  await expect(trend.getByText("No footfall is entered")).toHaveCount(0);
  await checkPage(page, "dashboard-trend-conversion");

  // On a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId("kpi-net_sales")).toBeVisible();
  await checkPage(page, "dashboard-phone-figures");
  await page.setViewportSize({ width: 1280, height: 800 });

  // Reports: the summary with comparison, then the tables sort and search.
  await navLink(page, "Reports").click();
  await page.goto("/reports?range=last_28_days");
  const summary = page.getByTestId("report-summary");
  await expect(summary.getByRole("rowheader", { name: "Net sales" })).toBeVisible();
  const month = await apiSummary(request, owner.email, { date_from: daysAgo(28), date_to: daysAgo(1), compare: "previous_period" });
  const netRow = summary.locator("tbody tr").filter({ has: page.getByRole("rowheader", { name: "Net sales", exact: true }) });
  await expect(netRow).toContainText(await shownFigure(page, "net_sales", month.metrics.net_sales ?? null, month.currency));
  await checkPage(page, "reports-summary");

  // Export to Excel: the whole workbook for these filters, streamed straight away.
  const [workbook] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export to Excel" }).click(),
  ]);
  expect(workbook.suggestedFilename()).toMatch(/^Teliporter_.*_GBP\.xlsx$/);
  const opened = await openWorkbook(workbook);
  expect(opened.sheets).toEqual(expect.arrayContaining(["Cover", "Summary", "By day"]));
  expect(opened.net_sales).toBeCloseTo(Number(month.metrics.net_sales), 2);
  await expect(page.getByText(`Downloaded ${workbook.suggestedFilename()}`)).toBeVisible();

  await page.getByRole("tab", { name: "By item" }).click();
  await expect(page).toHaveURL(/tab=item/);
  const items = page.getByTestId("report-item");
  await expect(items.locator("tbody tr").first()).toBeVisible();
  const byNet = await rowNames(items);
  expect(byNet.length).toBeGreaterThan(2);
  await items.getByRole("button", { name: /^Net sales/ }).click(); // now lowest first
  await expect(items.getByRole("columnheader", { name: /^Net sales/ })).toHaveAttribute("aria-sort", "ascending");
  expect((await rowNames(items))[0]).toBe(byNet.at(-1));
  await items.getByRole("button", { name: /^Item/ }).click();
  const alphabetical = await rowNames(items);
  expect(alphabetical).toEqual([...alphabetical].sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base", numeric: true })));
  const wanted = byNet[0] ?? "";
  await items.getByRole("searchbox", { name: "Search items" }).fill(wanted);
  await expect(items.locator("tbody").getByRole("rowheader", { name: wanted, exact: true })).toBeVisible();
  expect((await rowNames(items)).every((name) => name.toLowerCase().includes(wanted.toLowerCase()))).toBe(true);
  await checkPage(page, "reports-items");

  // That table as CSV.
  const [csv] = await Promise.all([
    page.waitForEvent("download"),
    items.getByRole("button", { name: "Download CSV" }).click(),
  ]);
  expect(csv.suggestedFilename()).toMatch(/_item\.csv$/);
  const csvPath = test.info().outputPath(csv.suggestedFilename());
  await csv.saveAs(csvPath);
  expect(readFileSync(csvPath, "utf8")).toContain(wanted);

  for (const [tab, id, name] of [
    ["By store", "location", "reports-stores"],
    ["By category", "category", "reports-categories"],
    ["By team member", "team_member", "reports-team"],
    ["By payment method", "payment_method", "reports-payments"],
    ["By hour", "hour", "reports-hours"],
    ["By weekday", "weekday", "reports-weekdays"],
  ] as const) {
    await page.getByRole("tab", { name: tab }).click();
    await expect(page.getByTestId(`report-${id}`).locator("tbody tr").first()).toBeVisible();
    await checkPage(page, name);
  }
  const hours = await rowNames(page.getByTestId("report-hour"));
  expect(hours).toEqual([...hours].sort());

  // A year's workbook is prepared in the background, with a progress bar, then downloaded.
  await page.goto(`/reports?range=custom&from=${daysAgo(200)}&to=${daysAgo(1)}`);
  await expect(page.getByTestId("report-summary").getByRole("rowheader", { name: "Net sales" })).toBeVisible();
  const big = page.waitForEvent("download", { timeout: 120_000 });
  await page.getByRole("button", { name: "Export to Excel" }).click();
  await expect(page.getByTestId("export-progress")).toBeVisible();
  await checkPage(page, "reports-export");
  const year = await openWorkbook(await big);
  const yearApi = await apiSummary(request, owner.email, { date_from: daysAgo(200), date_to: daysAgo(1), compare: "previous_period" });
  expect(year.net_sales).toBeCloseTo(Number(yearApi.metrics.net_sales), 2);

  await signOut(page);
  await page.context().close();
});
