import { type APIRequestContext, expect, test } from "@playwright/test";

import { apiGet, checkPage, connectSquare, navLink, openNavigation, PASSWORD, registerOwner, shownFigure } from "./helpers";

// A new owner's synced demo stores get a week of hourly counts pushed through the counter intake
// API with a key; the Traffic page's figures for an hour and its store comparison are the report
// API's for the same filters.

type Metrics = Record<string, string | number | null>;
type Traffic = {
  currency: string;
  coverage: { store_days_used: number; store_days_daily_only: number };
  by_hour: { hour: number; metrics: Metrics }[];
};
type Breakdown = { currency: string; rows: { key: string; label: string; metrics: Metrics }[] };

function daysAgo(n: number): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() - n);
  return d.toISOString().slice(0, 10);
}

/** Pushes the counts with a new key; returns their sum (every one is accepted). */
async function pushHourlyCounts(request: APIRequestContext, email: string, storeIds: number[], days: string[]): Promise<number> {
  const login = await request.post("/api/v1/auth/login", { data: { email, password: PASSWORD } });
  const token = ((await login.json()) as { access_token: string }).access_token;
  const made = await request.post("/api/v1/api-keys", {
    data: { name: "Door counters" },
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(made.status()).toBe(201);
  const key = ((await made.json()) as { key: string }).key;
  // Whole UTC hours are whole local hours in the demo stores' time zones.
  const counts = storeIds.flatMap((id, s) =>
    days.flatMap((day, d) =>
      Array.from({ length: 14 }, (_, i) => ({
        store: { id },
        start: `${day}T${String(8 + i).padStart(2, "0")}:00:00Z`,
        interval: "hour",
        count: 20 + ((i * 7 + d * 3 + s * 11) % 31),
      })),
    ),
  );
  const pushed = await request.post("/api/v1/footfall/counts", {
    data: { counts },
    headers: { Authorization: `Bearer ${key}` },
  });
  expect(pushed.status()).toBe(200);
  expect(((await pushed.json()) as { accepted: number }).accepted).toBe(counts.length);
  return counts.reduce((sum, c) => sum + c.count, 0);
}

test("traffic by hour, power hours and the store comparison equal the report API's", async ({ page, request }) => {
  test.setTimeout(300_000);
  const owner = await registerOwner(page, "Traffic Stores");
  await connectSquare(page);
  await expect(page.getByTestId("square-connection")).toContainText("Backfill complete", { timeout: 120_000 });
  const from = daysAgo(8);
  const to = daysAgo(1);
  const query = { date_from: from, date_to: to, compare: "none" };

  // Before any hourly count: the empty state, pointing at the API keys.
  await page.goto(`/traffic?range=custom&from=${from}&to=${to}`);
  await expect(page.getByRole("heading", { name: "Traffic", level: 1 })).toBeVisible();
  const empty = page.getByTestId("empty-state");
  await expect(empty).toContainText("Connect a people counter or enter hourly counts to see traffic by hour");
  await expect(empty.getByRole("link", { name: "Settings → API keys" })).toHaveAttribute("href", "/settings/api-keys");

  const stores = await apiGet<{ items: { id: number }[] }>(request, owner.email, "/locations", {});
  const days = Array.from({ length: 7 }, (_, i) => daysAgo(i + 2));
  const visitors = await pushHourlyCounts(request, owner.email, stores.items.map((s) => s.id), days);

  // In the main navigation, near Footfall; the page itself is reloaded with its filters.
  await openNavigation(page);
  await expect(navLink(page, "Traffic")).toHaveAttribute("href", "/traffic");
  await page.reload();
  const api = await apiGet<Traffic>(request, owner.email, "/reports/traffic", query);
  expect(api.coverage.store_days_used).toBeGreaterThan(0);
  await expect(page.getByTestId("traffic-coverage")).toContainText(`Over ${api.coverage.store_days_used} store-days`);

  // The busiest hour's row: every figure as the API gives it.
  const busiest = [...api.by_hour].sort((a, b) => Number(b.metrics.footfall ?? 0) - Number(a.metrics.footfall ?? 0))[0];
  expect(busiest).toBeDefined();
  if (!busiest) return;
  const label = `${String(busiest.hour).padStart(2, "0")}:00`;
  const row = page.getByTestId("traffic-by-hour").getByRole("row", { name: new RegExp(`^${label}`) });
  for (const name of ["footfall", "transactions", "net_sales", "conversion_rate", "sales_per_visitor"]) {
    await expect(row, name).toContainText(await shownFigure(page, name, busiest.metrics[name] ?? null, api.currency));
  }
  await expect(page.getByTestId("power-hours")).toBeVisible();

  // The store comparison: ranked by conversion, each store's figures the by-location report's.
  const breakdown = await apiGet<Breakdown>(request, owner.email, "/reports/breakdown", { ...query, by: "location" });
  const table = page.getByTestId("store-conversion");
  const ranked = [...breakdown.rows].sort(
    (a, b) => Number(b.metrics.conversion_rate ?? -1) - Number(a.metrics.conversion_rate ?? -1),
  );
  expect(ranked[0]?.metrics.conversion_rate).not.toBeNull();
  const names = (await table.locator("tbody").getByRole("rowheader").allTextContents()).map((s) => s.trim());
  expect(names).toEqual(ranked.map((r) => r.label));
  for (const store of ranked) {
    const storeRow = table.getByRole("row", { name: new RegExp(`^${store.label}`) });
    for (const name of ["conversion_rate", "footfall", "transactions", "sales_per_visitor"]) {
      await expect(storeRow, `${store.label} ${name}`).toContainText(
        await shownFigure(page, name, store.metrics[name] ?? null, breakdown.currency),
      );
    }
  }

  // The dashboard's traffic figures for the same days: footfall is the counts pushed, conversion
  // and sales per visitor the summary's (made from them and the synced sales).
  const summary = await apiGet<{ currency: string; metrics: Metrics }>(request, owner.email, "/reports/summary", query);
  expect(summary.metrics.footfall).toBe(visitors);
  expect(summary.metrics.conversion_rate).not.toBeNull();
  await page.goto(`/?range=custom&from=${from}&to=${to}&compare=none`);
  for (const name of ["footfall", "conversion_rate", "sales_per_visitor"]) {
    const figure = page.getByTestId(`kpi-${name}`).getByTestId("kpi-value");
    await expect(figure, name).toHaveText(await shownFigure(page, name, summary.metrics[name] ?? null, summary.currency));
  }
  await page.goto(`/traffic?range=custom&from=${from}&to=${to}`);
  await expect(page.getByTestId("traffic-coverage")).toBeVisible();

  // No sideways page scroll, on a phone too (measured as layout.spec.ts does: on a phone
  // window.innerWidth grows with a too-wide page, so the viewport's set width is the measure).
  const width = page.viewportSize()?.width ?? 0;
  const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(Math.max(scrollWidth ?? 0, innerWidth ?? 0) - width).toBeLessThanOrEqual(0);
  await checkPage(page, "traffic");
});
