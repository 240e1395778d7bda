import { expect, test } from "@playwright/test";

import { checkPage, registerOwner } from "./helpers";

test("filters live in the URL and survive a reload", async ({ page }) => {
  await registerOwner(page, "Filter Goods");
  const summary = page.getByTestId("filter-summary");
  await expect(summary).toContainText("compared with");

  await page.getByRole("textbox", { name: "Date range" }).click();
  await page.getByRole("option", { name: "Last month" }).click();
  await expect(page).toHaveURL(/[?&]range=last_month(&|$)/);

  await page.getByRole("textbox", { name: "Compare with" }).click();
  await page.getByRole("option", { name: "Same weekdays last year" }).click();
  await expect(page).toHaveURL(/[?&]compare=previous_year(&|$)/);

  await page.getByRole("textbox", { name: "Currency" }).click();
  await page.getByRole("textbox", { name: "Currency" }).fill("EUR");
  await page.getByRole("option", { name: "EUR", exact: true }).click();
  await expect(page).toHaveURL(/[?&]currency=EUR(&|$)/);
  const before = await summary.textContent();

  await page.reload();
  await expect(page.getByRole("textbox", { name: "Date range" })).toHaveValue("Last month");
  await expect(page.getByRole("textbox", { name: "Compare with" })).toHaveValue("Same weekdays last year");
  await expect(page.getByRole("textbox", { name: "Currency" })).toHaveValue("EUR");
  await expect(summary).toHaveText(before ?? "");

  // A custom range: typed dates go into the URL too.
  await page.getByRole("textbox", { name: "Date range" }).click();
  await page.getByRole("option", { name: "Custom range" }).click();
  await page.getByLabel("From", { exact: true }).fill("2025-03-01");
  await page.getByLabel("To", { exact: true }).fill("2025-03-31");
  await expect(page).toHaveURL(/range=custom&from=2025-03-01&to=2025-03-31/);
  await expect(summary).toContainText("2025");
  await checkPage(page, "dashboard-filters");

  // Back goes to the previous filters.
  await page.goBack();
  await expect(page).not.toHaveURL(/to=2025-03-31/);
});
