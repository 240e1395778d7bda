import { expect, test } from "@playwright/test";

import { checkPage, navLink, registerOwner, signIn, signOut } from "./helpers";

test("register, see the empty dashboard, sign out and sign in again", async ({ page }) => {
  await page.goto("/register");
  await checkPage(page, "register");
  const owner = await registerOwner(page);

  // No stores yet: an honest empty state pointing to Settings, and no figures.
  const empty = page.getByTestId("empty-state");
  await expect(empty.getByRole("heading", { name: "Connect Square to see your sales" })).toBeVisible();
  await expect(page.getByText(/£\d/)).toHaveCount(0);
  await expect(page.getByTestId("account-menu")).toContainText(owner.name);
  await checkPage(page, "dashboard-empty");

  await navLink(page, "Reports").click();
  await expect(page.getByRole("heading", { name: "Reports" })).toBeVisible();
  await expect(page.getByTestId("empty-state")).toBeVisible();
  await checkPage(page, "reports-empty");
  await navLink(page, "Footfall").click();
  await expect(page.getByRole("heading", { name: "Footfall" })).toBeVisible();
  await expect(page.getByTestId("empty-state")).toBeVisible();
  await checkPage(page, "footfall-empty");
  await empty.getByRole("link", { name: "Go to Settings" }).click();
  await expect(page).toHaveURL(/\/settings\/square$/);

  await signOut(page);
  await checkPage(page, "sign-in");
  // Signed out means signed out: the app does not let the user back in on reload.
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fsettings$/);

  await signIn(page, owner.email, "Wrong-Password-99");
  await expect(page.getByRole("alert")).toContainText("Incorrect email or password");
  await signIn(page, owner.email);
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
});

test("without a session, a page goes to sign-in and back to the same page", async ({ page, context }) => {
  const owner = await registerOwner(page, "Quay Stores");
  await page.goto("/reports?range=last_month&compare=none");
  await expect(page.getByRole("heading", { name: "Reports" })).toBeVisible();

  // The refresh cookie is gone (expired or revoked): a reload cannot restore the session.
  await context.clearCookies();
  await page.reload();
  await expect(page).toHaveURL(/\/sign-in\?next=/);
  await signIn(page, owner.email);
  await expect(page).toHaveURL(/\/reports\?range=last_month&compare=none$/);
  await expect(page.getByRole("heading", { name: "Reports" })).toBeVisible();
});

test("a reload keeps the user signed in through the refresh cookie", async ({ page }) => {
  await registerOwner(page, "Reload Retail");
  await page.goto("/settings");
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  await expect(page.getByLabel("Name")).toHaveValue("Reload Retail");
});

test("the app shell works on a phone", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await registerOwner(page, "Pocket Shop");
  const settings = navLink(page, "Settings");
  await expect(settings).not.toBeInViewport();
  await checkPage(page, "dashboard-phone");
  await page.getByRole("button", { name: "Open navigation" }).click();
  await expect(settings).toBeInViewport();
  await checkPage(page, "navigation-phone");
  await settings.click();
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  // The drawer closes after choosing a page.
  await expect(settings).not.toBeInViewport();
  await checkPage(page, "settings-phone");
  await context.close();
});
