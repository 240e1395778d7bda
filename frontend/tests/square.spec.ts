import { expect, test } from "@playwright/test";

import { checkPage, navLink, registerOwner } from "./helpers";

// Square's OAuth pages are the simulator's (started by tests/e2e-server.sh): small seeded
// accounts with 2 stores and about 18 days of sales each. Every other spec connects the first;
// the test that disconnects connects the second, because disconnecting revokes every token of
// the seller's account, as Square does, which would stop the other specs' syncs mid-way.

test("connect a Square account through Square's authorize page and watch the first sync", async ({ page }) => {
  test.setTimeout(180_000);
  await registerOwner(page, "Square Shop");
  await navLink(page, "Settings").click();
  await page.getByRole("tab", { name: "Square connections" }).click();
  await expect(page).toHaveURL(/\/settings\/square$/);
  await expect(page.getByRole("heading", { name: "No Square account connected yet" })).toBeVisible();
  await checkPage(page, "settings-square-empty");

  await page.getByRole("button", { name: "Connect Square account" }).click();
  // The simulator's authorize page.
  await expect(page.getByRole("heading", { name: /^Allow .* access\?$/ })).toBeVisible();
  await page.getByLabel("Seller account").selectOption({ index: 1 });
  await page.getByRole("button", { name: "Allow" }).click();

  await expect(page).toHaveURL(/\/settings\/square$/); // the outcome is read, then the URL cleaned
  const outcome = page.getByTestId("square-outcome");
  await expect(outcome).toContainText("Square account connected");
  const card = page.getByTestId("square-connection");
  await expect(card).toHaveCount(1);
  await expect(card).toContainText("Connected");
  await expect(card.getByText("Stores").locator("..")).toContainText("2");
  // The first sync (started by the callback) runs in the worker; the list follows it.
  await expect(card).toContainText("Backfill complete", { timeout: 120_000 });
  await expect(card.getByText("Last sync").locator("..")).not.toContainText("Not yet");

  // Sync now: the run's phase and counts, polled until it has finished.
  await card.getByRole("button", { name: "Sync now" }).click();
  const progress = card.getByTestId("sync-progress");
  await expect(progress).toBeVisible();
  await expect(progress).toHaveAttribute("data-state", /succeeded|skipped/, { timeout: 120_000 });
  await expect(progress).toContainText(/orders seen/);
  await checkPage(page, "settings-square-connected");

  // The stores came from Square.
  await navLink(page, "Footfall").click();
  await expect(page.getByRole("heading", { name: "Footfall" })).toBeVisible();
  await expect(page.getByTestId("empty-state")).toHaveCount(0);

  // Disconnect, keeping the history.
  await navLink(page, "Settings").click();
  await page.getByRole("tab", { name: "Square connections" }).click();
  await card.getByRole("button", { name: "Disconnect" }).click();
  const dialog = page.getByRole("dialog", { name: /^Disconnect/ });
  await expect(dialog.getByLabel("Also delete the synced sales history")).not.toBeChecked();
  await checkPage(page, "settings-square-disconnect");
  await dialog.getByRole("button", { name: "Disconnect", exact: true }).click();
  await expect(card).toContainText("Disconnected");
});

test("denying access on Square's page says so and connects nothing", async ({ page }) => {
  await registerOwner(page, "Careful Cafe");
  await page.goto("/settings/square");
  await page.getByRole("button", { name: "Connect Square account" }).click();
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page).toHaveURL(/\/settings\/square$/);
  const outcome = page.getByTestId("square-outcome");
  await expect(outcome).toContainText("Square connection cancelled");
  await expect(outcome).toContainText("Square access was not granted");
  await expect(page.getByRole("heading", { name: "No Square account connected yet" })).toBeVisible();
  await checkPage(page, "settings-square-denied");
  // Dismissed, it stays gone on reload (the URL no longer carries it).
  await outcome.getByRole("button", { name: "Dismiss" }).click();
  await page.reload();
  await expect(page.getByTestId("square-outcome")).toHaveCount(0);
});

test("an authorize link allowed in another browser connects nothing", async ({ page, browser }) => {
  // An admin sends the authorize link to a merchant instead of allowing it themselves.
  await registerOwner(page, "Linking Lodge");
  await page.goto("/settings/square");
  await page.getByRole("button", { name: "Connect Square account" }).click();
  await expect(page.getByRole("heading", { name: /^Allow .* access\?$/ })).toBeVisible();
  const link = page.url();

  // The merchant's browser (another context: none of the admin's cookies), signed in to its own
  // organization, allows it.
  const merchant = await browser.newContext();
  try {
    const merchantPage = await merchant.newPage();
    await registerOwner(merchantPage, "Merchant Market");
    await merchantPage.goto(link);
    await merchantPage.getByRole("button", { name: "Allow" }).click();
    await expect(merchantPage).toHaveURL(/\/settings\/square$/);
    const outcome = merchantPage.getByTestId("square-outcome");
    await expect(outcome).toContainText("Square connection not made");
    await expect(outcome).toContainText("started in another browser");
    await expect(merchantPage.getByRole("heading", { name: "No Square account connected yet" })).toBeVisible();
    await checkPage(merchantPage, "settings-square-wrong-browser");
  } finally {
    await merchant.close();
  }

  // Nor was the admin's organization connected; the link is spent.
  await page.goto("/settings/square");
  await expect(page.getByRole("heading", { name: "No Square account connected yet" })).toBeVisible();
});
