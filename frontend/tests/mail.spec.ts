import { expect, test, type Page } from "@playwright/test";

import { checkPage, PASSWORD, registerOwner, signIn, signOut } from "./helpers";

// The e2e server (tests/e2e-server.sh) sends mail to a local SMTP listener; an owner reads what
// it caught at /dev/mailbox, as under `make run`.

/** Opens the development mailbox from the account menu and the newest message to `to`. */
async function openMail(
  page: Page,
  to: string,
  subject: string,
  { count = 1, screenshot }: { count?: number; screenshot?: string } = {},
): Promise<string> {
  await page.getByTestId("account-menu").click();
  await page.getByRole("menuitem", { name: "Development mailbox" }).click();
  await expect(page.getByRole("heading", { name: "Development mailbox" })).toBeVisible();
  // The worker sends it a moment after the request; the page looks again every few seconds.
  // `count` such messages by now; the newest first (a resent invitation above the first one).
  const rows = page.getByRole("row").filter({ hasText: to }).filter({ hasText: subject });
  await expect(rows).toHaveCount(count, { timeout: 30_000 });
  const row = rows.first();
  // Checked before a message opens: its HTML part is shown in a sandboxed frame (no scripts),
  // which axe cannot enter.
  if (screenshot) await checkPage(page, screenshot);
  await row.getByRole("button", { name: subject }).click();
  const message = page.getByTestId("mailbox-message");
  await expect(message.getByRole("heading", { name: subject })).toBeVisible();
  await expect(message).toContainText(`To ${to}`);
  // The HTML part, as a mail client shows it, with its button.
  const button = subject.startsWith("Reset")
    ? "Choose a new password"
    : subject.startsWith("Confirm your new")
      ? "Confirm this address"
      : subject.startsWith("A change of your")
        ? "Reset my password"
        : "Accept the invitation";
  await expect(message.frameLocator("iframe").getByRole("link", { name: button })).toBeVisible();
  const href = await message.getByTestId("mailbox-link").first().getAttribute("href");
  expect(href).toBeTruthy();
  return href ?? "";
}

test("forgot password: the link from the mail sets a new password, then sign in with it", async ({ page, browser }) => {
  test.slow();
  const forgetful = await registerOwner(page, "Forgetful Florists");
  await signOut(page);
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page.getByRole("heading", { name: "Reset your password" })).toBeVisible();
  await checkPage(page, "forgot-password");
  await page.getByLabel("Email").fill(forgetful.email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByTestId("forgot-sent")).toContainText(`If there is an account for ${forgetful.email}`);

  // Another organization's owner, on this development machine, reads the local mailbox.
  const readerContext = await browser.newContext({ viewport: page.viewportSize() ?? undefined });
  const reader = await readerContext.newPage();
  await registerOwner(reader, "Mailbox Readers");
  const link = await openMail(reader, forgetful.email, "Reset your Teliporter password", {
    screenshot: "dev-mailbox",
  });
  expect(link).toMatch(/^\/reset-password\?token=/);
  await readerContext.close();

  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  const newPassword = "Fresh-Tulips-2032";
  await page.getByLabel(/^New password/).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(newPassword);
  await checkPage(page, "reset-password");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page).toHaveURL(/\/sign-in\?reset=1$/);
  await expect(page.getByRole("status")).toContainText("Your password has been changed");

  await signIn(page, forgetful.email, PASSWORD);
  await expect(page.getByRole("alert")).toContainText("Incorrect email or password");
  await signIn(page, forgetful.email, newPassword);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  // The link worked once.
  await signOut(page);
  await page.goto(link);
  await page.getByLabel(/^New password/).fill("Another-Tulip-2033");
  await page.getByLabel("Confirm new password").fill("Another-Tulip-2033");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page.getByRole("alert")).toContainText("invalid, already used or expired");
});

test("an invitation arrives by mail and its link lets the invitee in", async ({ page }) => {
  test.slow();
  await registerOwner(page, "Invited By Mail");
  await page.goto("/settings");
  await page.getByRole("button", { name: "Invite user" }).click();
  const dialog = page.getByRole("dialog", { name: "Invite a user" });
  const email = `viewer-${Date.now().toString(36)}-${test.info().project.name}@example.com`;
  await dialog.getByLabel("Email").fill(email);
  await dialog.getByLabel("Full name").fill("Vera Viewer");
  await dialog.getByRole("button", { name: "Send invite" }).click();
  await expect(dialog.getByTestId("invite-mailed")).toContainText(`e-mailed them an invitation to ${email}`);
  await dialog.getByRole("button", { name: "Done" }).click();
  const subject = "You are invited to Invited By Mail on Teliporter";
  const first = await openMail(page, email, subject);

  // Sent again: a new link, and the first one no longer works.
  await page.goto("/settings");
  await page.getByRole("row", { name: /Vera Viewer/ }).getByRole("button", { name: "Resend invite" }).click();
  await expect(page.getByRole("status")).toContainText(`A new invitation has been e-mailed to ${email}`);
  await checkPage(page, "settings-invite-resent");
  const link = await openMail(page, email, subject, { count: 2 });
  expect(link).toMatch(/^\/accept-invite\?token=/);
  expect(link).not.toEqual(first);
  // The mail log says both went out (the organization's own record, not the dev mailbox).
  await page.goto("/settings/mail");
  const log = page.getByTestId("mail-log");
  const sent = log.getByRole("row").filter({ hasText: email }).filter({ hasText: "Invitation" });
  await expect(sent).toHaveCount(2);
  await expect(sent.filter({ hasText: "Sent" })).toHaveCount(2);
  await checkPage(page, "settings-mail-log");
  await signOut(page);
  await page.goto(first);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("invalid or has expired");
  await page.goto(link);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await page.getByTestId("account-menu").click();
  await expect(page.getByTestId("account-menu-who")).toContainText(email);
});

test("a new sign-in address is confirmed from the link mailed to it, then used to sign in", async ({ page }) => {
  test.slow();
  const mover = await registerOwner(page, "Moving Millers");
  const moved = `moved-${mover.email}`;
  await page.getByTestId("account-menu").click();
  await page.getByRole("menuitem", { name: "Your account" }).click();
  const section = page.getByRole("region", { name: "Sign-in e-mail" });
  await expect(section).toContainText(`You sign in with ${mover.email}`);
  await section.getByLabel("New e-mail address").fill(moved);
  await section.getByLabel("Current password").fill(PASSWORD);
  await section.getByRole("button", { name: "Send the confirmation link" }).click();
  await expect(section.getByTestId("email-change-sent")).toContainText(`We have sent a link to ${moved}`);
  await checkPage(page, "account-email-change");

  // The old address is told; the new one gets the link.
  await openMail(page, mover.email, "A change of your Teliporter sign-in address was requested");
  const link = await openMail(page, moved, "Confirm your new Teliporter sign-in address");
  expect(link).toMatch(/^\/confirm-email\?token=/);
  await page.goto(link);
  await expect(page.getByTestId("email-confirmed")).toContainText(`you now sign in with ${moved}`);
  await checkPage(page, "confirm-email");

  // Still signed in here: back to the account, which shows the new address; then sign out.
  await page.getByRole("link", { name: "Back to your account" }).click();
  await expect(page.getByRole("region", { name: "Sign-in e-mail" })).toContainText(`You sign in with ${moved}`);
  await signOut(page);
  await signIn(page, mover.email, PASSWORD);
  await expect(page.getByRole("alert")).toContainText("Incorrect email or password");
  await signIn(page, moved, PASSWORD);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
});
