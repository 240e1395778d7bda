import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { type APIRequestContext, expect, type Page, test } from "@playwright/test";

import { checkPage, connectSquare, PASSWORD, registerOwner } from "./helpers";

// Points 8 and 10 of issue #23 on the simulated Square account (2 stores, ~18 days of sales):
// a store's settings page (opening/closing dates, business-day start) and the like-for-like
// switch; store groups made on the page, the group filter and the "By group" breakdown, with
// the page's figures equal to the API's and the workbook's.

type Metrics = Record<string, string | number | null>;
type Row = { key: string; label: string; metrics: Metrics };

const PYTHON = resolve(dirname(fileURLToPath(import.meta.url)), "../../.venv/bin/python");
const READ_BY_GROUP = `
import json, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1], read_only=True)
rows, header = {}, None
for row in book["By group"].iter_rows(values_only=True):
    if header is None:
        if row and row[0] == "Group":
            header = list(row)
        continue
    if row and row[0] and row[0] != "Total":
        rows[row[0]] = row[header.index("Net sales")]
print(json.dumps(rows))
`;

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

/** The API as the owner, signed in afresh (the e2e server's tokens last a minute). */
async function apiGet<T>(request: APIRequestContext, email: string, path: string, params: Record<string, string> = {}): Promise<T> {
  const login = await request.post("/api/v1/auth/login", { data: { email, password: PASSWORD } });
  expect(login.ok()).toBe(true);
  const token = ((await login.json()) as { access_token: string }).access_token;
  const response = await request.get(`/api/v1${path}`, { params, headers: { Authorization: `Bearer ${token}` } });
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()) as T;
}

async function connected(page: Page, org: string): Promise<string> {
  const owner = await registerOwner(page, org);
  await connectSquare(page);
  await expect(page.getByTestId("square-connection")).toContainText("Backfill complete", { timeout: 120_000 });
  return owner.email;
}

function money(page: Page, value: string | number | null | undefined, currency: string): Promise<string> {
  return page.evaluate(
    ([raw, cur]) => new Intl.NumberFormat(navigator.language, { style: "currency", currency: cur }).format(Number(raw)),
    [String(value), currency] as const,
  );
}

async function noSideways(page: Page): Promise<void> {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(wide, "the page scrolls sideways").toBeLessThanOrEqual(0);
}

test("8 · a store's settings page and the like-for-like switch", async ({ page, request }) => {
  test.setTimeout(300_000);
  const email = await connected(page, "Settings Stores");
  type Store = { id: number; name: string; opened_on: string | null; closed_on: string | null; business_day_start_hour: number };
  const stores = (await apiGet<{ items: Store[] }>(request, email, "/locations")).items;
  expect(stores).toHaveLength(2);
  const store = stores[0] as Store;

  await page.goto("/settings/stores");
  const row = page.getByTestId(`store-row-${store.id}`);
  await expect(row).toContainText(store.name);
  await page.getByRole("button", { name: `Edit ${store.name}` }).click();
  const dialog = page.getByRole("dialog", { name: `Edit ${store.name}` });
  await dialog.getByLabel("Opened on").fill("2024-03-01");
  await dialog.getByLabel("Closed on").fill("2024-02-01");
  await expect(dialog.getByText("The closing date must be on or after the opening date")).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Save" })).toBeDisabled();
  await dialog.getByLabel("Closed on").fill("2030-06-30");
  await dialog.getByRole("textbox", { name: "Business day starts" }).click();
  await page.getByRole("option", { name: "04:00", exact: true }).click();
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId(`store-opened-${store.id}`)).toHaveText("2024-03-01");
  await expect(page.getByTestId(`store-closed-${store.id}`)).toHaveText("2030-06-30");
  await expect(page.getByRole("textbox", { name: `Business day start of ${store.name}` })).toHaveValue("04:00");
  // The new business-day start re-dates the store's sales in the background, then says so.
  await expect(page.getByTestId(`recalculation-${store.id}`)).toContainText("Up to date", { timeout: 120_000 });
  const saved = (await apiGet<{ items: Store[] }>(request, email, "/locations")).items.find((s) => s.id === store.id);
  expect(saved).toMatchObject({ opened_on: "2024-03-01", closed_on: "2030-06-30", business_day_start_hour: 4 });
  await noSideways(page);
  await checkPage(page, "store-settings");

  // Like-for-like: the last 14 days against the 14 before, when sales had only just begun, so
  // only the days whose comparison day traded count.
  const from = daysAgo(14);
  const to = daysAgo(1);
  await page.goto(`/?range=custom&from=${from}&to=${to}&compare=none`);
  const lfl = page.getByRole("switch", { name: /Like-for-like/ });
  await expect(lfl).toBeDisabled();
  await expect(page.getByText("Choose a comparison to compare like-for-like")).toBeVisible();
  await page.goto(`/?range=custom&from=${from}&to=${to}`);
  const query = { date_from: from, date_to: to, compare: "previous_period" };
  const all = await apiGet<{ metrics: Metrics }>(request, email, "/reports/summary", query);
  const figure = page.getByTestId("kpi-net_sales").getByTestId("kpi-value");
  await expect(figure).toHaveAttribute("data-value", String(all.metrics.net_sales));
  await expect(page.getByText("Only stores that traded on both the day and its comparison day")).toBeVisible();
  await page.getByRole("switch", { name: /Like-for-like/ }).click();
  await expect(page.getByRole("switch", { name: /Like-for-like/ })).toBeChecked();
  await expect(page).toHaveURL(/[?&]lfl=1(&|$)/);
  const like = await apiGet<{ metrics: Metrics; lfl: boolean }>(request, email, "/reports/summary", { ...query, lfl: "true" });
  expect(like.lfl).toBe(true);
  expect(like.metrics.net_sales).not.toBe(all.metrics.net_sales);
  await expect(figure).toHaveAttribute("data-value", String(like.metrics.net_sales));
  await expect(page.getByTestId("filter-summary")).toContainText("like-for-like");
  // The store league table is like-for-like too: each store's row is the API's.
  const stores28 = await apiGet<{ rows: Row[]; currency: string }>(request, email, "/reports/breakdown", {
    ...query,
    by: "location",
    lfl: "true",
  });
  const league = page.getByTestId("league-table");
  for (const row of stores28.rows) {
    const line = league.locator("tbody tr").filter({ has: page.getByRole("rowheader", { name: row.label, exact: true }) });
    await expect(line).toContainText(await money(page, row.metrics.net_sales, stores28.currency));
  }
  await checkPage(page, "dashboard-like-for-like");
});

test("10 · store groups: make them, filter by a group and break figures down by group", async ({ page, request }) => {
  test.setTimeout(300_000);
  const email = await connected(page, "Area Managers");
  type Store = { id: number; name: string };
  const [first, second] = (await apiGet<{ items: Store[] }>(request, email, "/locations")).items as [Store, Store];

  await page.goto("/settings/stores");
  await expect(page.getByTestId("groups-empty")).toBeVisible();
  for (const [name, members] of [
    ["North", [first, second]],
    ["South", [second]],
  ] as const) {
    await page.getByRole("button", { name: "New group" }).click();
    const dialog = page.getByRole("dialog", { name: "New group" });
    await dialog.getByLabel("Group name").fill(name);
    for (const store of members) {
      await dialog.getByRole("textbox", { name: "Stores in this group" }).click();
      await page.getByRole("option", { name: store.name, exact: true }).click();
      await dialog.getByRole("heading", { name: "New group" }).click(); // closes the list
    }
    await dialog.getByRole("button", { name: "Create group" }).click();
    await expect(dialog).toBeHidden();
  }
  // A store is in one group at most: South took the second store from North.
  type Group = { id: number; name: string; location_ids: number[] };
  const groups = (await apiGet<{ groups: Group[] }>(request, email, "/location-groups")).groups;
  const north = groups.find((g) => g.name === "North") as Group;
  const south = groups.find((g) => g.name === "South") as Group;
  expect(north.location_ids).toEqual([first.id]);
  expect(south.location_ids).toEqual([second.id]);
  await expect(page.getByTestId(`group-row-${north.id}`)).toContainText(first.name);
  await expect(page.getByTestId(`group-row-${south.id}`)).toContainText(second.name);
  await expect(page.getByTestId(`store-group-${second.id}`)).toHaveText("South");
  await noSideways(page);
  await checkPage(page, "store-groups");

  // The group filter: the dashboard of North is its store's.
  const from = daysAgo(28);
  const to = daysAgo(1);
  const query = { date_from: from, date_to: to, compare: "previous_period" };
  await page.goto(`/?range=last_28_days&groups=${north.id}`);
  const northSummary = await apiGet<{ metrics: Metrics; location_ids: number[] }>(request, email, "/reports/summary", {
    ...query,
    group_ids: String(north.id),
  });
  expect(northSummary.location_ids).toEqual([first.id]);
  const firstSummary = await apiGet<{ metrics: Metrics }>(request, email, "/reports/summary", {
    ...query,
    location_ids: String(first.id),
  });
  expect(northSummary.metrics).toEqual(firstSummary.metrics);
  await expect(page.getByTestId("kpi-net_sales").getByTestId("kpi-value")).toHaveAttribute(
    "data-value",
    String(northSummary.metrics.net_sales),
  );
  await expect(page.getByRole("region", { name: "Filters" })).toContainText("North");
  await checkPage(page, "dashboard-group-filter");

  // The "By group" tab (from the catalog): a row per group, each the API's, adding up to the total.
  await page.goto("/reports?range=last_28_days&tab=group");
  await expect(page.getByRole("tab", { name: "By group" })).toHaveAttribute("aria-selected", "true");
  const table = page.getByTestId("report-group");
  await expect(table.locator("tbody tr")).toHaveCount(2);
  const api = await apiGet<{ rows: Row[]; total: { metrics: Metrics }; currency: string }>(request, email, "/reports/breakdown", {
    ...query,
    compare: "none",
    by: "group",
  });
  expect(api.rows.map((r) => r.label).sort()).toEqual(["North", "South"]);
  for (const row of api.rows) {
    const line = table.locator("tbody tr").filter({ has: page.getByRole("rowheader", { name: row.label, exact: true }) });
    await expect(line).toContainText(await money(page, row.metrics.net_sales, api.currency));
  }
  const added = api.rows.reduce((sum, r) => sum + Math.round(Number(r.metrics.net_sales) * 100), 0);
  expect(added).toBe(Math.round(Number(api.total.metrics.net_sales) * 100));
  await expect(table.locator("tfoot")).toContainText(await money(page, api.total.metrics.net_sales, api.currency));
  await noSideways(page);
  await checkPage(page, "reports-by-group");

  // The workbook's "By group" sheet has the same figures.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export to Excel" }).click(),
  ]);
  const path = test.info().outputPath(download.suggestedFilename());
  await download.saveAs(path);
  const sheet = JSON.parse(execFileSync(PYTHON, ["-c", READ_BY_GROUP, path], { encoding: "utf8" })) as Record<string, number>;
  expect(Object.keys(sheet).sort()).toEqual(["North", "South"]);
  for (const row of api.rows) expect(sheet[row.label]).toBeCloseTo(Number(row.metrics.net_sales), 2);
});
