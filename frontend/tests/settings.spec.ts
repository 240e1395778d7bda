import { expect, test } from "@playwright/test";

import { PASSWORD, checkPage, navLink, pickOption, registerOwner, signOut } from "./helpers";

test("change the organization's name and reporting currency", async ({ page }) => {
  await registerOwner(page, "Currency Co");
  await navLink(page, "Settings").click();
  await expect(page.getByLabel("Name")).toHaveValue("Currency Co");
  await checkPage(page, "settings");

  await page.getByLabel("Name").fill("Currency Company");
  await page.getByRole("textbox", { name: "Reporting currency" }).click();
  await page.getByRole("textbox", { name: "Reporting currency" }).fill("Euro");
  await page.getByRole("option", { name: /^EUR/ }).click();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(page.getByTestId("account-menu")).toContainText("Currency Company");

  await page.reload();
  await expect(page.getByLabel("Name")).toHaveValue("Currency Company");
  await expect(page.getByRole("textbox", { name: "Reporting currency" })).toHaveValue(/^EUR/);
  // The filters' currency follows the organization's.
  await navLink(page, "Dashboard").click();
  await expect(page.getByRole("textbox", { name: "Currency" })).toHaveValue("EUR");
});

test("invite a user who accepts in another browser, then change their role", async ({ page, browser }) => {
  // Two browsers and a dozen steps: over a minute on the phone project of a shared 2-core machine.
  test.slow();
  await registerOwner(page, "Invite Ltd");
  await navLink(page, "Settings").click();
  await page.getByRole("button", { name: "Invite user" }).click();
  const dialog = page.getByRole("dialog", { name: "Invite a user" });
  const email = `manager-${Date.now().toString(36)}@example.com`;
  await dialog.getByLabel("Email").fill(email);
  await dialog.getByLabel("Full name").fill("Max Manager");
  await dialog.getByRole("textbox", { name: "Role" }).click();
  await page.getByRole("option", { name: /^Manager/ }).click();
  await dialog.getByRole("button", { name: "Send invite" }).click();
  const link = await dialog.getByLabel("Invitation link").inputValue();
  expect(link).toMatch(/\/accept-invite\?token=/);
  await checkPage(page, "settings-invite-link");
  await dialog.getByRole("button", { name: "Done" }).click();
  const row = page.getByRole("row", { name: /Max Manager/ });
  await expect(row).toContainText("Invited");

  // The invitee opens the link in their own browser.
  const invitee = await browser.newContext();
  const other = await invitee.newPage();
  await other.goto(new URL(link).pathname + new URL(link).search);
  await checkPage(other, "accept-invite");
  await other.getByLabel(/^Password/).fill("short");
  await other.getByLabel("Confirm password").fill("short");
  await other.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(other.getByText("Password must be at least 10 characters long")).toBeVisible();
  await other.getByLabel(/^Password/).fill(PASSWORD);
  await other.getByLabel("Confirm password").fill(PASSWORD);
  await other.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(other.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(other.getByTestId("account-menu")).toContainText("Max Manager");
  // A manager cannot manage users.
  await navLink(other, "Settings").click();
  await expect(other.getByText("Only owners and admins can see and manage the users.")).toBeVisible();
  await signOut(other);
  await invitee.close();

  // Back with the owner: the invitation is accepted; make them a viewer, then deactivate them.
  await page.reload();
  await expect(row).toContainText("Active");
  await row.getByRole("button", { name: "Store access" }).click();
  await expect(page.getByRole("dialog", { name: /Store access/ })).toContainText("No stores yet");
  await checkPage(page, "settings-store-access");
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  // As a person would: the dialog gone before the next click (a click during its closing
  // transition lands on the fading overlay and opens nothing).
  await expect(page.getByRole("dialog")).toBeHidden();
  await pickOption(page, row.getByRole("textbox", { name: "Role of Max Manager" }), "Viewer");
  await expect(row.getByRole("textbox", { name: "Role of Max Manager" })).toHaveValue("Viewer");
  await row.getByRole("button", { name: "Deactivate" }).click();
  await page.getByRole("dialog", { name: "Deactivate user?" }).getByRole("button", { name: "Deactivate" }).click();
  await expect(row).toContainText("Deactivated");
  await page.reload();
  await expect(row).toContainText("Deactivated");
  await expect(row.getByRole("textbox", { name: "Role of Max Manager" })).toHaveValue("Viewer");
});
