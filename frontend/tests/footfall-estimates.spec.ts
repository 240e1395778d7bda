import { type APIRequestContext, expect, test } from "@playwright/test";

import { PASSWORD, checkPage, connectSquare, registerOwner } from "./helpers";

function iso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return iso(date);
}

async function token(request: APIRequestContext, email: string): Promise<string> {
  const response = await request.post("/api/v1/auth/login", { data: { email, password: PASSWORD } });
  expect(response.ok()).toBe(true);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function get<T>(request: APIRequestContext, email: string, path: string, params: Record<string, string>): Promise<T> {
  const response = await request.get(`/api/v1${path}`, {
    params,
    headers: { Authorization: `Bearer ${await token(request, email)}` },
  });
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()) as T;
}

type Point = { start: string; metrics: Record<string, string | number | null> };
type Summary = { metrics: Record<string, string | number | null>; footfall_estimated_days: number };

test("the estimates switch puts a traded day without a count into footfall, as the API's include", async ({ page, request }) => {
  // A new organization's first sync, then two pages: more than the default minute on a busy runner.
  test.setTimeout(180_000);
  const owner = await registerOwner(page, "Estimate Stores");
  await connectSquare(page);
  const stores = await get<{ items: { id: number; name: string }[] }>(request, owner.email, "/locations", {});
  const store = stores.items[0];
  expect(store).toBeDefined();
  const storeId = String(store!.id);

  // The latest past day the store traded on (the first sync may still be running).
  const today = iso(new Date());
  const range = { date_from: addDays(today, -13), date_to: addDays(today, -1) };
  let day = "";
  await expect
    .poll(async () => {
      const series = await get<{ points: Point[] }>(request, owner.email, "/reports/timeseries", {
        ...range,
        granularity: "day",
        compare: "none",
        location_ids: storeId,
      });
      day = [...series.points].reverse().find((p) => Number(p.metrics.transactions) > 0)?.start ?? "";
      return day;
    }, { timeout: 60_000 })
    .not.toBe("");

  // The same weekday one and two weeks before are counted; the day itself has no entry.
  const counts = [300, 201];
  const saved = await request.put("/api/v1/footfall/bulk", {
    data: {
      entries: counts.map((count, i) => ({ location_id: store!.id, date: addDays(day, -7 * (i + 1)), count })),
    },
    headers: { Authorization: `Bearer ${await token(request, owner.email)}` },
  });
  expect(saved.ok(), await saved.text()).toBe(true);
  const estimate = Math.floor((counts[0]! + counts[1]!) / 2 + 0.5);

  const period = { date_from: day, date_to: day, compare: "none", location_ids: storeId };
  const included = await get<Summary>(request, owner.email, "/reports/summary", { ...period, footfall_estimates: "include" });
  expect(included.metrics.footfall).toBe(estimate);
  expect(included.footfall_estimated_days).toBe(1);

  await page.goto(`/?range=custom&from=${day}&to=${day}&stores=${storeId}&compare=none`);
  const footfall = page.getByTestId("kpi-footfall").getByTestId("kpi-value");
  await expect(footfall).toHaveAttribute("data-value", "", { timeout: 30_000 });
  const toggle = page.getByRole("switch", { name: /Include estimated footfall/ });
  await expect(toggle).not.toBeChecked();
  // The switch follows the URL: its state changes once the page has moved to the new filters.
  await toggle.click();
  await expect(toggle).toBeChecked();
  await expect(page).toHaveURL(/footfall_estimates=include/);
  await expect(footfall).toHaveAttribute("data-value", String(included.metrics.footfall));
  await expect(page.getByTestId("kpi-footfall").getByTestId("kpi-estimated")).toHaveText("incl. 1 estimated day");
  await checkPage(page, "dashboard-estimated-footfall");

  // The footfall grid shows the estimate greyed as "est." in the empty cell.
  await page.goto(`/footfall?week=${day}`);
  const cell = page.locator(`input[data-estimate="${estimate}"]`);
  await expect(cell).toHaveAttribute("placeholder", `est. ${estimate}`);
  await expect(cell).toHaveValue("");
  await expect(page.getByTestId("footfall-estimate").first()).toHaveText("est.");
  await checkPage(page, "footfall-grid-estimate");
});
