import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Locator, type Page } from "@playwright/test";

export const PASSWORD = "Blue-Harbour-2031";
const SCREENSHOTS = resolve(dirname(fileURLToPath(import.meta.url)), "../../artifacts/screenshots");

let seq = 0;
export function uniqueEmail(prefix: string): string {
  seq += 1;
  return `${prefix}-${Date.now().toString(36)}-${process.pid}-${seq}@example.com`;
}

/**
 * Axe on the page once its figures have settled: no serious or critical violations. Figures on
 * their way are dimmed (aria-busy, 60 % opacity) and fade back in: checked while dimmed, their
 * contrast is the dimmed one's, which is not what a person reads.
 */
export async function expectAccessible(page: Page): Promise<void> {
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== "running"),
  );
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
  ).toEqual([]);
}

/**
 * A full-page screenshot in artifacts/screenshots/<name>-<project>.png (desktop or phone), after
 * the axe check.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  await expectAccessible(page);
  mkdirSync(SCREENSHOTS, { recursive: true });
  const project = test.info().project.name;
  await page.screenshot({ path: `${SCREENSHOTS}/${name}-${project}.png`, fullPage: true });
}

/** Whether the page runs on the "phone" project (or any viewport where the navigation collapses). */
export function isPhone(page: Page): boolean {
  return (page.viewportSize()?.width ?? 1440) < 768;
}

/** On a phone the main navigation is a drawer behind the burger: open it if it is closed. */
export async function openNavigation(page: Page): Promise<void> {
  const burger = page.getByRole("button", { name: "Open navigation" });
  if (await burger.isVisible()) await burger.click();
}

/**
 * Picks `option` from a Mantine select as a person would: tap it, and tap again if the list did
 * not come into view. On a loaded phone run the page was seen to jump to the top as the list of a
 * select low on the page opened, leaving the list out of view; a person taps the select again.
 */
export async function pickOption(page: Page, select: Locator, option: string | RegExp): Promise<void> {
  const item = page.getByRole("option", { name: option });
  await expect(async () => {
    if (!(await item.isVisible())) await select.click();
    await expect(item).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 30_000 });
  await item.click();
}

export type Owner = { email: string; name: string; org: string };

/** Signs up a new organization through the register page and lands on the dashboard. */
export async function registerOwner(page: Page, org = "Harbour Books"): Promise<Owner> {
  const owner = { email: uniqueEmail("owner"), name: "Ada Owner", org };
  await page.goto("/register");
  await page.getByLabel("Your name").fill(owner.name);
  await page.getByLabel("Business name").fill(owner.org);
  await page.getByLabel("Work email").fill(owner.email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  return owner;
}

/**
 * A link of the main navigation. Its click() opens the drawer first when the navigation is
 * collapsed (a phone); every other method is the plain locator's.
 */
export function navLink(page: Page, name: string): Locator {
  const link = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
  return new Proxy(link, {
    get(target, prop) {
      if (prop === "click") {
        return async (options?: Parameters<Locator["click"]>[0]) => {
          await openNavigation(page);
          await target.click(options);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByTestId("account-menu").click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
}

/**
 * Connects the simulated Square account (tests/e2e-server.sh) through Square's authorize page:
 * its 2 stores exist as soon as the browser is back on /settings/square.
 */
export async function connectSquare(page: Page): Promise<void> {
  await page.goto("/settings/square");
  await page.getByRole("button", { name: "Connect Square account" }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(page.getByTestId("square-outcome")).toContainText("Square account connected");
  await expect(page.getByTestId("square-connection")).toContainText("Connected");
}

/** A report API answer as the owner gets it, with a token of the API's own (the e2e server's
 * tokens last a minute, so each read signs in afresh). */
export async function apiGet<T>(
  request: import("@playwright/test").APIRequestContext,
  email: string,
  path: string,
  params: Record<string, string | number>,
): Promise<T> {
  const login = await request.post("/api/v1/auth/login", { data: { email, password: PASSWORD } });
  expect(login.ok()).toBe(true);
  const token = ((await login.json()) as { access_token: string }).access_token;
  const response = await request.get(`/api/v1${path}`, { params, headers: { Authorization: `Bearer ${token}` } });
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()) as T;
}

export type FirstLoad = {
  filled: number;
  domContentLoaded: number | null;
  /** When the last script or API answer the dashboard waits for had arrived. */
  lastResponse: number;
  requests: string[];
  longTasks: string[];
};

/**
 * One first page load of `/` in a fresh browser context (cold cache) carrying `cookies` (a
 * signed-in session): milliseconds from navigation start to the frame where every part of the
 * dashboard is filled (the KPI figures, the league table, the heatmap and the drawn trend chart),
 * with the requests of that load and the main thread's long tasks. Printed by the callers, never
 * asserted on.
 */
export async function measureFirstLoad(
  browser: import("@playwright/test").Browser,
  cookies: Parameters<import("@playwright/test").BrowserContext["addCookies"]>[0],
  contextOptions: import("@playwright/test").BrowserContextOptions = {},
): Promise<FirstLoad & { cookies: Awaited<ReturnType<import("@playwright/test").BrowserContext["cookies"]>> }> {
  const { context, load } = await openFirstLoad(browser, cookies, contextOptions);
  // The refresh cookie was rotated by this load: hand the new one on to the next.
  const next = await context.cookies();
  await context.close();
  return { ...load, cookies: next };
}

/** `measureFirstLoad`'s load, leaving its page open for the caller to go on with (and close). */
export async function openFirstLoad(
  browser: import("@playwright/test").Browser,
  cookies: Parameters<import("@playwright/test").BrowserContext["addCookies"]>[0],
  contextOptions: import("@playwright/test").BrowserContextOptions = {},
): Promise<{ context: import("@playwright/test").BrowserContext; page: Page; load: FirstLoad }> {
  const context = await browser.newContext(contextOptions);
  await context.addCookies(cookies);
  await context.addInitScript(() => {
    const w = window as unknown as { longTasks: string[] };
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push(`${Math.round(e.startTime)}+${Math.round(e.duration)} ms`);
    }).observe({ type: "longtask", buffered: true });
  });
  const page = await context.newPage();
  await page.goto("/");
  const filled = Math.round(
    (await (
      await page.waitForFunction(
        () => {
          const kpi = document.querySelector('[data-testid="kpi-net_sales"] [data-testid="kpi-value"]');
          const done =
            kpi?.getAttribute("data-value") &&
            document.querySelector('[data-testid="league-table"] tbody tr') &&
            document.querySelector('[data-testid="heatmap"]') &&
            document.querySelector('[role="img"] .recharts-line path');
          return done ? performance.now() : false;
        },
        undefined,
        { polling: "raf", timeout: 30_000 },
      )
    ).jsonValue()) as number,
  );
  const domContentLoaded = await page.evaluate(() => {
    const entry = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    return entry ? Math.round(entry.domContentLoadedEventEnd) : null;
  });
  const requests = await page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .filter((e) => /\/api\/|\.js$/.test(e.name))
      .map(
        (e) =>
          `${Math.round(e.startTime)}–${Math.round((e as PerformanceResourceTiming).responseEnd)} ms ${e.name.replace(/^https?:\/\/[^/]+/, "")}`,
      ),
  );
  const lastResponse = await page.evaluate(() =>
    Math.round(
      Math.max(
        0,
        ...performance
          .getEntriesByType("resource")
          .filter((e) => /\.js$|\/api\/v1\/(auth|users|reports|locations)/.test(e.name))
          .map((e) => (e as PerformanceResourceTiming).responseEnd),
      ),
    ),
  );
  const longTasks = await page.evaluate(() => (window as unknown as { longTasks: string[] }).longTasks);
  return { context, page, load: { filled, domContentLoaded, lastResponse, requests, longTasks } };
}

/** The median of some numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : Math.round(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
}

/** What the page should show for a figure, formatted in the browser's own locale. */
export async function shownFigure(page: Page, name: string, value: string | number | null, currency: string): Promise<string> {
  if (value === null) return "—";
  return page.evaluate(
    ([kind, raw, cur]) => {
      const locale = navigator.language;
      if (kind === "money") return new Intl.NumberFormat(locale, { style: "currency", currency: cur }).format(Number(raw));
      if (kind === "percent")
        return new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Number(raw));
      if (kind === "ratio")
        return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(raw));
      return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(Number(raw));
    },
    [
      ["net_sales", "average_transaction_value", "sales_per_visitor"].includes(name)
        ? "money"
        : name === "conversion_rate"
          ? "percent"
          : name === "units_per_transaction"
            ? "ratio"
            : "count",
      String(value),
      currency,
    ] as const,
  );
}
