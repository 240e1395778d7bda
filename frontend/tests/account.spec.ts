import { expect, test } from "@playwright/test";

import { apiGet, checkPage, PASSWORD, registerOwner, signIn, signOut } from "./helpers";

// Point 12 of issue #23: account basics. The account menu names the user and leads to their own
// account page, where they change their name and their password, with clear errors.

const NEW_PASSWORD = "Green-Lantern-4417";

test("12 · change your own name and password from the account menu", async ({ page, browser, request }) => {
  test.setTimeout(180_000);
  const owner = await registerOwner(page, "Own Account Ltd");
  // A second session of the same user, elsewhere: a new password signs it out.
  const elsewhere = await (await browser.newContext()).newPage();
  await elsewhere.goto("/sign-in");
  await signIn(elsewhere, owner.email);
  await expect(elsewhere.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  // The menu: who is signed in, their account, their notifications, the glossary, and Sign out;
  // for an owner, where the server keeps a local mailbox (`make run`, the e2e server), the
  // development mailbox too.
  const mailbox = await apiGet<{ enabled: boolean }>(request, owner.email, "/mail/local-mailbox", {});
  await page.getByTestId("account-menu").click();
  const menu = page.getByRole("menu");
  await expect(menu).toContainText(owner.name);
  await expect(menu).toContainText(owner.email);
  await expect(menu.getByRole("menuitem", { disabled: false })).toHaveText([
    "Your account",
    "Notifications",
    "What the figures mean",
    ...(mailbox.enabled ? ["Development mailbox"] : []),
    "Sign out",
  ]);
  await menu.getByRole("menuitem", { name: "Your account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
  await expect(page.getByText(`Signed in as ${owner.email}`)).toBeVisible();

  // The name: an empty one is refused before it is sent; a new one shows in the menu at once.
  const name = page.getByLabel("Full name");
  await expect(name).toHaveValue(owner.name);
  await name.fill("   ");
  await expect(page.getByText("Enter your name")).toBeVisible();
  await expect(page.getByRole("button", { name: "Save name" })).toBeDisabled();
  await name.fill("Ada Lovelace-Owner");
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByText("Name saved.")).toBeVisible();
  await page.getByTestId("account-menu").click();
  await expect(page.getByRole("menu")).toContainText("Ada Lovelace-Owner");
  await page.keyboard.press("Escape");

  // The password: each mistake is named at its field.
  const password = page.getByRole("region", { name: "Password" });
  const current = password.getByLabel("Current password");
  const next = password.getByLabel(/^New password/);
  const repeat = password.getByLabel("Repeat the new password");
  const change = password.getByRole("button", { name: "Change password" });
  await current.fill("not-my-password-1");
  await next.fill(NEW_PASSWORD);
  await repeat.fill(NEW_PASSWORD);
  await change.click();
  await expect(current).toHaveAccessibleDescription(/Current password is incorrect/);
  await current.fill(PASSWORD);
  await next.fill("short1");
  await repeat.fill("short1");
  await change.click();
  await expect(next).toHaveAccessibleDescription(/at least 10 characters/);
  await next.fill(NEW_PASSWORD);
  await repeat.fill(`${NEW_PASSWORD}x`);
  await change.click();
  await expect(repeat).toHaveAccessibleDescription(/The passwords do not match/);
  await repeat.fill(NEW_PASSWORD);
  await change.click();
  await expect(page.getByText("Password changed.")).toBeVisible();
  await expect(current).toHaveValue("");
  await checkPage(page, "account");

  // This session stays signed in; the other one is signed out at its next request.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
  await elsewhere.reload();
  await expect(elsewhere).toHaveURL(/\/sign-in/);
  await elsewhere.context().close();

  // The old password no longer signs in; the new one does, with the new name.
  await signOut(page);
  await signIn(page, owner.email);
  await expect(page.getByRole("alert")).toBeVisible();
  await page.getByLabel(/^Password/).fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await page.getByTestId("account-menu").click();
  await expect(page.getByRole("menu")).toContainText("Ada Lovelace-Owner");
});
