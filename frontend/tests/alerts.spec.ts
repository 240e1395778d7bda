import { expect, test } from "@playwright/test";

import { checkPage, navLink, openNavigation, registerOwner } from "./helpers";

// The e2e server runs no beat (alerts.evaluate), so no alert is found there: the list is seen
// empty, and the rules are changed and read back after a reload.
test("switch an alert rule on, tune a threshold and see both saved after a reload", async ({ page }) => {
  await registerOwner(page, "Alert Shop");
  await openNavigation(page);
  await navLink(page, "Alerts").click();
  await expect(page.getByRole("heading", { name: "Alerts", exact: true })).toBeVisible();
  await expect(page.getByText("No alerts")).toBeVisible();
  await checkPage(page, "alerts");

  await page.getByRole("link", { name: "Alert rules" }).click();
  await expect(page.getByRole("heading", { name: "Alert rules" })).toBeVisible();
  const above = page.getByRole("switch", { name: "Net sales above usual" });
  await expect(above).not.toBeChecked();
  await expect(page.getByRole("switch", { name: "Net sales below usual" })).toBeChecked();
  const threshold = page.getByLabel("Net sales below usual: Threshold (%)");
  await expect(threshold).toHaveValue("30");
  await checkPage(page, "alert-rules");

  await above.check({ force: true });
  await threshold.fill("25");
  await page.getByLabel("Net sales below usual: Weeks for the usual").fill("8");
  await page.getByRole("button", { name: "Save alert rules" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();

  await page.reload();
  await expect(page.getByRole("switch", { name: "Net sales above usual" })).toBeChecked();
  await expect(page.getByLabel("Net sales below usual: Threshold (%)")).toHaveValue("25");
  await expect(page.getByLabel("Net sales below usual: Weeks for the usual")).toHaveValue("8");
});
