import { type APIRequestContext, expect, type Locator, type Page, test } from "@playwright/test";

import { checkPage, connectSquare, PASSWORD, registerOwner } from "./helpers";

// Point 5 of issue #23: exchange-rate moves must not pass for growth. The simulated Square
// account's 2 stores trade in GBP; reporting in EUR makes every figure a conversion. The
// "Constant currency" switch then appears in the filter bar, and turning it on shows the
// comparison the report API gives with constant_currency=true (each comparison day converted at
// the rate of the day it is compared with).

type Summary = {
  currency: string;
  metrics: Record<string, string | number | null>;
  change: Record<string, number | null>;
  comparison: { metrics: Record<string, string | number | null>; rates: "actual" | "constant" } | null;
  currency_effect: number | null;
};

async function apiToken(request: APIRequestContext, email: string): Promise<string> {
  const response = await request.post("/api/v1/auth/login", { data: { email, password: PASSWORD } });
  expect(response.ok()).toBe(true);
  return ((await response.json()) as { access_token: string }).access_token;
}

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

async function money(page: Page, value: string | number | null | undefined, currency: string): Promise<string> {
  return page.evaluate(
    ([raw, cur]) => new Intl.NumberFormat(navigator.language, { style: "currency", currency: cur }).format(Number(raw)),
    [String(value), currency] as const,
  );
}

/** The element lies within the window's width (nothing of it needs a sideways scroll). */
async function expectWithinWidth(page: Page, locator: Locator): Promise<void> {
  const box = await locator.boundingBox();
  const width = page.viewportSize()?.width ?? 0;
  expect(box).not.toBeNull();
  expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(width);
}

test("5 · constant currency: the comparison at this period's exchange rates, and what rates did to the change", async ({
  page,
  request,
}) => {
  test.setTimeout(300_000);
  const owner = await registerOwner(page, "Constant Currency Co");
  await connectSquare(page);
  await expect(page.getByTestId("square-connection")).toContainText("Backfill complete", { timeout: 120_000 });

  // Every store trades in the reporting currency (GBP): nothing is converted, no switch.
  const week = "/?range=last_7_days";
  await page.goto(week);
  // The first report after the sync can take a while on the shared test machine.
  await expect(page.getByTestId("kpi-net_sales").getByTestId("kpi-value")).not.toHaveAttribute("data-value", "", {
    timeout: 30_000,
  });
  await expect(page.getByRole("switch", { name: /Constant currency/ })).toHaveCount(0);

  // Report in EUR (PATCH /organization, as Settings does).
  const token = await apiToken(request, owner.email);
  const patched = await request.patch("/api/v1/organization", {
    data: { reporting_currency: "EUR" },
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(patched.ok(), await patched.text()).toBe(true);

  await page.goto(week);
  await expect(page.getByRole("textbox", { name: "Currency" })).toHaveValue("EUR");
  const toggle = page.getByRole("switch", { name: /Constant currency/ });
  await expect(toggle).toBeVisible();
  await expect(toggle).not.toBeChecked();

  const query = { date_from: daysAgo(7), date_to: daysAgo(1), compare: "previous_period" };
  const get = async (extra: Record<string, string>): Promise<Summary> => {
    const response = await request.get("/api/v1/reports/summary", {
      params: { ...query, ...extra },
      headers: { Authorization: `Bearer ${await apiToken(request, owner.email)}` },
    });
    expect(response.ok(), await response.text()).toBe(true);
    return (await response.json()) as Summary;
  };
  const actual = await get({});
  const constant = await get({ constant_currency: "true" });
  expect(actual.currency).toBe("EUR");
  expect(actual.comparison?.rates).toBe("actual");
  expect(constant.comparison?.rates).toBe("constant");
  expect(constant.metrics).toEqual(actual.metrics); // the period itself never changes

  const net = page.getByTestId("kpi-net_sales");
  await expect(net.getByText(/^Was /)).toHaveText(`Was ${await money(page, actual.comparison?.metrics.net_sales, "EUR")}`);

  // On: the URL keeps it, and the page shows the API's constant-currency comparison.
  const asked = page.waitForRequest((r) => r.url().includes("/reports/summary") && r.url().includes("constant_currency=true"));
  await toggle.click();
  await asked;
  await expect(page).toHaveURL(/constant_currency=true/);
  await expect(toggle).toBeChecked();
  await expect(net.getByText(/^Was /)).toHaveText(`Was ${await money(page, constant.comparison?.metrics.net_sales, "EUR")}`);
  await expect(page.getByText("converted at this period's exchange rates")).toBeVisible();
  await expectWithinWidth(page, toggle);
  await checkPage(page, "currency-constant");

  // The bundled ECB history ends on 30 Oct 2026, before the simulated sales: every date of both
  // periods converts at that one rate, so here exchange rates moved nothing and no note shows.
  expect(actual.currency_effect).toBe(0);
  await expect(page.getByTestId("currency-effect")).toHaveCount(0);

  // Where rates did move the figure (the answer's change and currency_effect set to those of a
  // store up +10.3 % in EUR of which 4.7 points are exchange rates), the note says so under the
  // net-sales change and offers the switch.
  await page.route("**/api/v1/reports/summary?*", async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as Summary;
    const constantAsked = route.request().url().includes("constant_currency=true");
    body.change.net_sales = constantAsked ? 0.056 : 0.103;
    body.currency_effect = 0.047;
    await route.fulfill({ response, json: body });
  });
  await page.goto(week);
  const note = net.getByTestId("currency-effect");
  await expect(note).toHaveText(/Of \+10\.3\s?%, \+4\.7 pts from exchange rates — switch to constant currency/);
  await expectWithinWidth(page, note);
  await checkPage(page, "currency-note");
  await note.getByRole("button", { name: "switch to constant currency" }).click();
  await expect(page).toHaveURL(/constant_currency=true/);
  await expect(page.getByRole("switch", { name: /Constant currency/ })).toBeChecked();
  await expect(net.getByTestId("currency-effect")).toHaveText(/At actual exchange rates \+10\.3\s?% \(\+4\.7 pts from exchange rates\)/);
});
