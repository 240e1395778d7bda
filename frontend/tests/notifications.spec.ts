import { expect, test } from "@playwright/test";

import { checkPage, connectSquare, registerOwner } from "./helpers";

// Issue #24: the notifications settings page (scheduled digests and the alerts switch), a digest
// mailed on demand to the development mailbox, and its unsubscribe link's public page.

test("notifications: set up the digests, reload, preview one and unsubscribe from its link", async ({ page }) => {
  test.setTimeout(180_000);
  const owner = await registerOwner(page, "Digest Delis");
  // Digests report on stores: the simulated Square account brings two.
  await connectSquare(page);

  // From the account menu to the settings area's Notifications tab.
  await page.getByTestId("account-menu").click();
  await page.getByRole("menuitem", { name: "Notifications" }).click();
  await expect(page).toHaveURL(/\/settings\/notifications$/);
  await expect(page.getByRole("tab", { name: "Notifications" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("heading", { name: "Your notifications" })).toBeVisible();
  await expect(page.getByTestId("digest-timezone")).toHaveText(/^[A-Za-z_]+\/[A-Za-z_]+$/);
  const timezone = (await page.getByTestId("digest-timezone").textContent()) ?? "";

  const daily = page.getByTestId("digest-daily");
  const weekly = page.getByTestId("digest-weekly");
  await expect(daily.getByRole("switch", { name: "Daily digest" })).not.toBeChecked();
  await expect(daily.getByTestId("digest-daily-schedule")).toHaveText("Off");
  await daily.getByRole("switch", { name: "Daily digest" }).check();
  await daily.getByLabel("Daily send time").click();
  await page.getByRole("option", { name: "06:00", exact: true }).click();
  await daily.getByLabel("Figures in the daily digest").click();
  await daily.getByLabel("Figures in the daily digest").fill("Sales per");
  await page.getByRole("option", { name: "Sales per visitor" }).click();
  await page.keyboard.press("Escape");
  await weekly.getByRole("switch", { name: "Weekly digest" }).check();
  await weekly.getByLabel("Weekly send day").click();
  await page.getByRole("option", { name: "Friday" }).click();
  await weekly.getByLabel("Include the store league table").uncheck();
  await page.getByRole("switch", { name: /E-mail me exception alerts/ }).uncheck();
  await expect(daily.getByTestId("digest-daily-schedule")).toHaveText(`Every day at 06:00 (${timezone})`);
  await checkPage(page, "notifications-settings");
  await page.getByRole("button", { name: "Save notifications" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();

  // A reload shows what was saved.
  await page.reload();
  await expect(daily.getByRole("switch", { name: "Daily digest" })).toBeChecked();
  await expect(daily.getByLabel("Daily send time")).toHaveValue("06:00");
  await expect(daily.getByTestId("digest-daily-schedule")).toHaveText(`Every day at 06:00 (${timezone})`);
  await expect(daily).toContainText("Sales per visitor");
  await expect(weekly.getByRole("switch", { name: "Weekly digest" })).toBeChecked();
  await expect(weekly.getByLabel("Weekly send day")).toHaveValue("Friday");
  await expect(weekly.getByTestId("digest-weekly-schedule")).toHaveText(`Every Friday at 07:00 (${timezone})`);
  await expect(weekly.getByLabel("Include the store league table")).not.toBeChecked();
  await expect(page.getByRole("switch", { name: /E-mail me exception alerts/ })).not.toBeChecked();
  await expect(page.getByRole("button", { name: "Save notifications" })).toBeDisabled();

  // Yesterday's digest, mailed now; read at the development mailbox.
  await page.getByRole("button", { name: "Send me the daily digest now" }).click();
  const sent = page.getByTestId("digest-preview-sent");
  await expect(sent).toContainText(`Sent to ${owner.email}: “Yesterday at Digest Delis: `);
  await page.getByTestId("account-menu").click();
  await page.getByRole("menuitem", { name: "Development mailbox" }).click();
  const row = page.getByRole("row").filter({ hasText: owner.email }).filter({ hasText: "Yesterday at Digest Delis" });
  await expect(row).toHaveCount(1, { timeout: 30_000 });
  await row.getByRole("button", { name: /Yesterday at Digest Delis/ }).click();
  const message = page.getByTestId("mailbox-message");
  await expect(message.frameLocator("iframe").getByRole("link", { name: "Open in Teliporter" })).toBeVisible();
  await expect(message.frameLocator("iframe").getByText("Sales per visitor").first()).toBeVisible();
  const links = message.getByTestId("mailbox-link");
  const unsubscribe = links.filter({ hasText: "/unsubscribe?token=" });
  await expect(unsubscribe).toHaveCount(1);
  const href = (await unsubscribe.getAttribute("href")) ?? "";
  expect(href).toMatch(/^\/unsubscribe\?token=[A-Za-z0-9_-]+$/);
  // As from a mail client: a fresh page load, whether signed in or not.
  await page.goto(href);

  // The public page says what the link switches off; its button does it (no sign-in needed).
  await expect(page).toHaveURL(/\/unsubscribe\?token=/);
  await expect(page.getByRole("heading", { name: "Unsubscribe" })).toBeVisible();
  await expect(page.getByTestId("unsubscribe-what")).toHaveText(
    `Stop sending the daily digest of Digest Delis to ${owner.email}?`,
  );
  await checkPage(page, "unsubscribe");
  await page.getByRole("button", { name: "Unsubscribe" }).click();
  await expect(page.getByTestId("unsubscribed")).toContainText(
    `${owner.email} no longer receives the daily digest of Digest Delis`,
  );
  // Opened again, the link says it is done, and leads to the settings, where the digest is off.
  await page.reload();
  await expect(page.getByTestId("unsubscribed")).toBeVisible();
  await page.getByRole("link", { name: "Change your notification settings" }).click();
  await expect(page.getByRole("heading", { name: "Your notifications" })).toBeVisible();
  await expect(daily.getByRole("switch", { name: "Daily digest" })).not.toBeChecked();
  await expect(weekly.getByRole("switch", { name: "Weekly digest" })).toBeChecked();
});

test("an unsubscribe link that is not valid says so", async ({ page }) => {
  await page.goto("/unsubscribe?token=not-a-real-token");
  await expect(page.getByRole("alert")).toHaveText("This unsubscribe link is not valid");
  await page.goto("/unsubscribe");
  await expect(page.getByRole("alert")).toContainText("no unsubscribe token");
});

test("an admin sets up a team member's digest from the users page", async ({ page }) => {
  await registerOwner(page, "Team Digests");
  await page.goto("/settings");
  await page.getByRole("button", { name: "Invite user" }).click();
  const invite = page.getByRole("dialog", { name: "Invite a user" });
  const email = `manager-${Date.now().toString(36)}-${test.info().project.name}@example.com`;
  await invite.getByLabel("Email").fill(email);
  await invite.getByLabel("Full name").fill("Mo Manager");
  await invite.getByRole("button", { name: "Send invite" }).click();
  await invite.getByRole("button", { name: "Done" }).click();
  await page.getByRole("button", { name: "Notifications of Mo Manager" }).click();
  const dialog = page.getByRole("dialog", { name: "Notifications of Mo Manager" });
  await expect(dialog).toContainText(`Sent to ${email}`);
  await expect(dialog.getByRole("button", { name: /Send me/ })).toHaveCount(0);
  await dialog.getByRole("switch", { name: "Weekly digest" }).check();
  await dialog.getByRole("button", { name: "Save notifications" }).click();
  await expect(dialog.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Notifications of Mo Manager" }).click();
  await expect(
    page.getByRole("dialog", { name: "Notifications of Mo Manager" }).getByRole("switch", { name: "Weekly digest" }),
  ).toBeChecked();
});
