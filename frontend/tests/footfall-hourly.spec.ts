import { expect, test } from "@playwright/test";

import { apiGet, checkPage, connectSquare, navLink, pickOption, registerOwner } from "./helpers";

type Summary = { metrics: Record<string, string | number | null> };

test("a store's hours replace its whole-day count: the day grid and the reports show their sum", async ({ page }) => {
  // A new organization's first sync, then a few saves: more than the default minute on a busy runner.
  test.setTimeout(180_000);
  const owner = await registerOwner(page, "Footfall Hours");
  await connectSquare(page);
  const stores = await apiGet<{ items: { id: number; name: string }[] }>(page.request, owner.email, "/locations", {});
  // The last store: picked from the list, not the one the hourly view opens on.
  const store = stores.items[stores.items.length - 1];
  expect(store).toBeDefined();
  const { id, name } = store!;

  await navLink(page, "Footfall").click();
  const grid = page.getByTestId("footfall-grid");
  await page.getByRole("button", { name: "Previous week" }).click();
  await expect(page).toHaveURL(/week=\d{4}-\d{2}-\d{2}/);
  const monday = new URL(page.url()).searchParams.get("week") ?? "";
  const row = grid.getByRole("row").filter({ has: page.getByRole("rowheader", { name, exact: true }) });
  const mondayCell = row.getByRole("textbox").first();

  // Monday starts with a whole-day count, typed in the day grid.
  await mondayCell.fill("840");
  await page.getByRole("button", { name: /^Save 1 change$/ }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved: 1 added" })).toBeVisible();

  // By the hour, for that store.
  const week = page.locator("section[aria-labelledby='week-heading']");
  await week.getByText("By hour", { exact: true }).click();
  await pickOption(page, week.getByRole("textbox", { name: "Store" }), name);
  await expect(page).toHaveURL(new RegExp(`hours=${id}`));
  const hourly = page.getByTestId("hourly-grid");
  const hour = (label: string) => hourly.getByLabel(new RegExp(`^${name}, Monday\\b.*, ${label}$`));
  await expect(hour("09:00")).toBeVisible();
  // The page itself never scrolls sideways; the grid scrolls in its own box.
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

  await hour("09:00").click();
  for (const count of ["40", "55"]) {
    await page.keyboard.type(count);
    await page.keyboard.press("Enter");
  }
  await page.keyboard.type("61");
  await expect(hour("11:00")).toBeFocused();
  const total = page.getByTestId(`hourly-total-${monday}`);
  await expect(total).toContainText("156");
  await expect(total).toContainText("replaces whole-day 840");

  await page.getByRole("button", { name: /^Save 3 changes$/ }).click();
  const dialog = page.getByRole("dialog", { name: "Replace whole-day counts with hourly counts?" });
  await expect(dialog).toContainText("has a whole-day count of 840");
  await checkPage(page, "footfall-hourly-confirm");
  await dialog.getByRole("button", { name: "Replace and save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved: 3 added, 0 changed, 1 cleared." })).toBeVisible();
  await expect(total).toContainText("156");
  await expect(total).not.toContainText("whole day");
  await checkPage(page, "footfall-hourly");

  // Back by the day: Monday shows the hours' sum, marked hourly and not typed over.
  await week.getByText("By day", { exact: true }).click();
  await expect(mondayCell).toHaveValue("156");
  await expect(mondayCell).toHaveAttribute("readonly");
  await expect(row.getByRole("button", { name: `hourly: open ${name}'s hours for this week` })).toBeVisible();

  // The reports count the same visitors for that store and day.
  await expect
    .poll(async () => {
      const summary = await apiGet<Summary>(page.request, owner.email, "/reports/summary", {
        date_from: monday,
        date_to: monday,
        location_ids: String(id),
        compare: "none",
      });
      return summary.metrics.footfall;
    })
    .toBe(156);

  // The hourly mark opens the store's hours again.
  await row.getByRole("button", { name: `hourly: open ${name}'s hours for this week` }).click();
  await expect(hour("10:00")).toHaveValue("55");
});
