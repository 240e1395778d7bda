import { expect, test } from "@playwright/test";

import { checkPage, navLink, registerOwner } from "./helpers";

test("create an API key, see it once, use it, then revoke it", async ({ page, request }) => {
  await registerOwner(page, "Counter Co");
  await navLink(page, "Settings").click();
  await page.getByRole("tab", { name: "API keys" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByTestId("api-keys-empty")).toBeVisible();

  await page.getByRole("button", { name: "New API key" }).click();
  const dialog = page.getByRole("dialog", { name: "New API key" });
  await dialog.getByLabel("Key name").fill("Door counters");
  await dialog.getByRole("button", { name: "Create key" }).click();
  const shown = page.getByRole("dialog", { name: "Your new API key" });
  const key = await shown.getByLabel("API key").inputValue();
  expect(key).toMatch(/^tpk_[0-9a-f]{12}_.{40,}$/);
  await expect(shown.getByRole("button", { name: "Copy key" })).toBeVisible();
  await checkPage(page, "settings-api-key-once");
  await shown.getByRole("button", { name: "Done" }).click();

  const prefix = key.split("_")[1];
  const row = page.getByRole("row", { name: /Door counters/ });
  await expect(row).toContainText(`tpk_${prefix}_…`);
  await expect(row).toContainText("Every store");
  await expect(row).toContainText("Never");
  // The key itself is never shown again.
  await page.reload();
  await expect(page.getByRole("row", { name: /Door counters/ })).toBeVisible();
  await expect(page.locator("body")).not.toContainText(key);
  await checkPage(page, "settings-api-keys");

  // A counter uses it: the list shows when.
  const headers = { Authorization: `Bearer ${key}` };
  const used = await request.post("/api/v1/footfall/counts", { data: { counts: [] }, headers });
  expect(used.status()).toBe(200);
  expect(await used.json()).toEqual({ accepted: 0, rejected: [] });
  await page.reload();
  await expect(page.getByRole("row", { name: /Door counters/ })).not.toContainText("Never");

  page.once("dialog", (confirm) => void confirm.accept());
  await page.getByRole("button", { name: "Revoke key Door counters" }).click();
  await expect(page.getByRole("row", { name: /Door counters/ })).toContainText("Revoked");
  const refused = await request.post("/api/v1/footfall/counts", { data: { counts: [] }, headers });
  expect(refused.status()).toBe(401);
});
