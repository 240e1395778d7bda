import { expect, type Page, test } from "@playwright/test";

import { checkPage, connectSquare, isPhone, registerOwner } from "./helpers";

// Point 13 of issue #23: every page of the signed-in app, with the simulated Square account's
// sales in it, fits a phone (360 and 390 px) without scrolling sideways — wide tables and the
// heatmap scroll inside their own box — and the league table's badges are not clipped on a desktop.

type AppPage = { name: string; url: string; heading: string; level?: number; tab?: string; ready?: (page: Page) => Promise<void> };

const slug = (text: string) => text.toLowerCase().replace(/\W+/g, "-");

function pages(tabs: string[]): AppPage[] {
  return [
    {
      name: "dashboard",
      url: "/",
      heading: "Dashboard",
      ready: async (page) => {
        await expect(page.getByTestId("league-table").locator("tbody tr")).toHaveCount(2);
        await expect(page.getByTestId("heatmap")).toBeVisible();
      },
    },
    // Every report tab (the catalog's breakdowns), each with its table filled.
    ...tabs.map((tab) => ({
      name: `reports-${slug(tab)}`,
      url: "/reports",
      heading: "Reports",
      tab,
      ready: async (page: Page) => {
        await expect(page.getByRole("tabpanel").locator("tbody tr").first()).toBeVisible();
      },
    })),
    { name: "footfall", url: "/footfall", heading: "Footfall" },
    { name: "settings", url: "/settings", heading: "Settings" },
    {
      name: "settings-square",
      url: "/settings/square",
      heading: "Settings",
      ready: async (page) => {
        await expect(page.getByTestId("square-connection")).toContainText("Connected");
      },
    },
    {
      name: "settings-notifications",
      url: "/settings/notifications",
      heading: "Settings",
      ready: async (page) => {
        await expect(page.getByTestId("digest-weekly")).toBeVisible();
      },
    },
    { name: "account", url: "/account", heading: "Your account" },
    { name: "glossary", url: "/help/metrics", heading: "What the figures mean" },
    { name: "not-found", url: "/no-such-page", heading: "Page not found", level: 2 },
  ];
}

/**
 * How far the page scrolls sideways past the viewport's width: 0 when it fits. On a phone
 * (isMobile) window.innerWidth grows with a too-wide page, so the width set is the measure.
 */
async function sidewaysOverflow(page: Page): Promise<number> {
  const width = page.viewportSize()?.width ?? 0;
  const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  return Math.max(scrollWidth, innerWidth) - width;
}

/** What sticks out to the right of the viewport (not clipped by a box that scrolls), to name the culprit. */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate((width) => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      const box = el.getBoundingClientRect();
      if (box.right <= width + 0.5 || box.width === 0) continue;
      const position = getComputedStyle(el).position;
      if (position === "fixed") continue;
      let clipped = false;
      if (position !== "absolute") {
        for (let p = el.parentElement; p; p = p.parentElement) {
          if (p.getBoundingClientRect().right <= width + 0.5 && /(auto|scroll|hidden|clip)/.test(getComputedStyle(p).overflowX)) {
            clipped = true;
            break;
          }
        }
      }
      const name = `${el.tagName.toLowerCase()}.${String(el.getAttribute("class") ?? "").slice(0, 50)}`;
      if (!clipped) out.push(`${name} (${position}) ${Math.round(box.left)}–${Math.round(box.right)}`);
    }
    return out.slice(0, 10);
  }, page.viewportSize()?.width ?? 0);
}

test("13 · every page fits a phone at 360–390 px and nothing is clipped on a desktop", async ({ page }) => {
  test.setTimeout(360_000);
  await registerOwner(page, "Narrow Street Books");
  await connectSquare(page);
  await expect(page.getByTestId("square-connection")).toContainText("Backfill complete", { timeout: 120_000 });

  await page.goto("/reports");
  await expect(page.getByRole("tab").first()).toBeVisible();
  const tabs = await page.getByRole("tab").allTextContents();
  expect(tabs.length).toBeGreaterThan(5);
  const projectWidth = page.viewportSize()?.width ?? 1440;
  const projectHeight = page.viewportSize()?.height ?? 900;

  for (const target of pages(tabs)) {
    await page.setViewportSize({ width: projectWidth, height: projectHeight });
    await page.goto(target.url);
    await expect(page.getByRole("heading", { level: target.level ?? 1, name: target.heading })).toBeVisible();
    if (target.tab) await page.getByRole("tab", { name: target.tab, exact: true }).click();
    await target.ready?.(page);
    await expect(page.getByRole("status").filter({ hasText: /^Loading/ })).toHaveCount(0);
    if (!isPhone(page)) {
      // The desktop fits too, and a badge in a table shows its whole text.
      expect(await sidewaysOverflow(page), `${target.name} at ${projectWidth} px: ${await overflowing(page)}`).toBeLessThanOrEqual(0);
    }
    if (target.name === "dashboard") {
      const badges = page.getByTestId("footfall-gap");
      await expect(badges).toHaveCount(2);
      for (const badge of await badges.all()) {
        await expect(badge).toContainText(/\d+ days? without footfall/);
        // Whole, and inside the table's visible box: not cut off by the box's edge.
        const [badgeRight, boxRight] = await badge.evaluate((el) => {
          let box: HTMLElement | null = el.parentElement;
          while (box && !/(auto|scroll|hidden)/.test(getComputedStyle(box).overflowX)) box = box.parentElement;
          return [el.getBoundingClientRect().right, box?.getBoundingClientRect().right ?? window.innerWidth];
        });
        if (!isPhone(page)) expect(badgeRight, "the footfall-gaps badge is whole on a desktop").toBeLessThanOrEqual(boxRight);
        const clipped = await badge.evaluate((el) => [el, ...Array.from(el.querySelectorAll("*"))].some((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).position !== "absolute"));
        expect(clipped, "the footfall-gaps badge shows its whole text").toBe(false);
      }
    }
    await checkPage(page, `layout-${target.name}`);
    for (const width of [390, 360]) {
      await page.setViewportSize({ width, height: 800 });
      await expect(page.getByRole("heading", { level: target.level ?? 1, name: target.heading })).toBeVisible();
      // Polled: the layout settles a frame or two after the resize.
      await expect
        .poll(async () => ((await sidewaysOverflow(page)) > 0 ? `${target.name} at ${width} px: ${await overflowing(page)}` : "fits"))
        .toBe("fits");
      // The account menu (and with it Sign out) stays on screen.
      await expect(page.getByTestId("account-menu")).toBeInViewport({ ratio: 1 });
    }
  }
});
