import { expect, type Page, test } from "@playwright/test";

import { checkPage, connectSquare, isPhone, PASSWORD, registerOwner, signIn, signOut, uniqueEmail } from "./helpers";

// Axe, at both widths, in the states a user opens and a page-load check never sees: the account
// menu, the navigation drawer, every filter's list, the glossary's popover, the custom date range,
// the settings' lists and dialogs, forms showing their errors and a failed request's alert. Each
// state is screenshotted in artifacts/screenshots/ (helpers.checkPage).

/** Opens a Select/MultiSelect of the page by its label; its list of options is on screen. */
async function openList(page: Page, label: string): Promise<void> {
  await page.getByRole("textbox", { name: label, exact: true }).click();
  await expect(page.getByRole("listbox").last()).toBeVisible();
}

async function closeList(page: Page): Promise<void> {
  await page.keyboard.press("Escape");
  await expect(page.getByRole("listbox")).toHaveCount(0);
}

test("forms showing their errors: sign-in with a wrong password, register with a bad field", async ({ page }) => {
  const owner = await registerOwner(page, "Error Books");
  await signOut(page);

  await signIn(page, owner.email, "Wrong-Password-99");
  await expect(page.getByRole("alert")).toContainText("Incorrect email or password");
  await checkPage(page, "sign-in-wrong-password");

  // The API refuses the register form field by field: each message is drawn under its field.
  await page.goto("/register");
  await page.getByLabel("Your name").fill("Bea Owner");
  await page.getByLabel("Business name").fill("Bad Field Books");
  await page.getByLabel("Work email").fill(uniqueEmail("bad-field"));
  await page.getByLabel(/^Password/).fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  // The field's message is drawn under it and read out with it.
  const password = page.getByLabel(/^Password/);
  await expect(password).toHaveAttribute("data-invalid", "true");
  await expect(password).toHaveAccessibleDescription(/at least 10 characters/i);
  await checkPage(page, "register-bad-field");

  // The same address twice: an error the form shows as a whole, or on the email field.
  await page.getByLabel("Work email").fill(owner.email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText(/already/i).first()).toBeVisible();
  await checkPage(page, "register-taken-email");
});

test("the account menu and the phone's navigation drawer, open", async ({ page }) => {
  const owner = await registerOwner(page, "Menu Books");
  await page.getByTestId("account-menu").click();
  const menu = page.getByRole("menu");
  await expect(menu).toBeVisible();
  await expect(menu).toContainText(owner.email);
  await expect(menu.getByRole("menuitem", { name: "Sign out" })).toBeVisible();
  // The keyboard is in the menu: on its first item, and Escape closes it.
  await expect(menu.getByRole("menuitem", { name: "Your account" })).toBeFocused();
  await checkPage(page, "account-menu-open");
  await page.keyboard.press("Escape");
  await expect(menu).toBeHidden();

  if (isPhone(page)) {
    await page.getByRole("button", { name: "Open navigation" }).click();
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" })).toBeInViewport();
    await checkPage(page, "navigation-drawer-open");
  }
});

test("every list, popover and dialog of the dashboard, reports and settings, open", async ({ page }) => {
  test.setTimeout(240_000);
  await registerOwner(page, "Opened Books");
  await connectSquare(page);
  await expect(page.getByTestId("square-connection")).toContainText("Backfill complete", { timeout: 120_000 });

  await page.goto("/");
  await expect(page.getByTestId("kpi-net_sales").getByTestId("kpi-value")).not.toHaveAttribute("data-value", "");
  for (const [label, name] of [
    ["Date range", "filter-date-range-open"],
    ["Stores", "filter-stores-open"],
    ["Compare with", "filter-compare-open"],
    ["Currency", "filter-currency-open"],
  ] as const) {
    await openList(page, label);
    await checkPage(page, name);
    await closeList(page);
  }

  // The glossary's "i" beside a figure.
  await page.getByTestId("metric-info-net_sales").first().click();
  const popover = page.getByRole("dialog", { name: "Net sales" });
  await expect(popover).toBeVisible();
  await expect(popover.getByRole("link", { name: /in the glossary/ })).toBeVisible();
  await checkPage(page, "metric-info-open");
  await page.keyboard.press("Escape");
  await expect(popover).toBeHidden();

  // A date range of one's own: the From and To dates.
  await openList(page, "Date range");
  await page.getByRole("option", { name: "Custom range", exact: true }).click();
  await expect(page.getByLabel("From", { exact: true })).toBeVisible();
  await expect(page.getByLabel("To", { exact: true })).toBeVisible();
  await checkPage(page, "filter-custom-range");

  // The reports' filters are the same component; their tabs' own controls are checked open too.
  await page.goto("/reports");
  await expect(page.getByRole("heading", { name: "Reports" })).toBeVisible();
  await openList(page, "Compare with");
  await checkPage(page, "reports-compare-open");
  await closeList(page);

  // Settings: the reporting currency's list, a store's dialog, a new group's dialog with its
  // list of stores, the invitation dialog with its list of roles.
  await page.goto("/settings");
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  await openList(page, "Reporting currency");
  await checkPage(page, "settings-currency-open");
  await closeList(page);

  await page.goto("/settings/stores");
  const edit = page.getByRole("button", { name: /^Edit / }).first();
  await edit.click();
  const storeDialog = page.getByRole("dialog");
  await expect(storeDialog).toBeVisible();
  await checkPage(page, "store-edit-open");
  await storeDialog.getByRole("button", { name: "Cancel" }).click();
  await expect(storeDialog).toBeHidden();

  await page.getByRole("button", { name: "New group" }).click();
  const groupDialog = page.getByRole("dialog", { name: "New group" });
  await expect(groupDialog).toBeVisible();
  await openList(page, "Stores in this group");
  await checkPage(page, "group-new-open");
  await closeList(page);
  await groupDialog.getByRole("button", { name: "Cancel" }).click();
  await expect(groupDialog).toBeHidden();

  await page.goto("/settings");
  await page.getByRole("button", { name: "Invite user" }).click();
  const invite = page.getByRole("dialog", { name: "Invite a user" });
  await expect(invite).toBeVisible();
  await openList(page, "Role");
  await checkPage(page, "invite-user-open");
  await closeList(page);
});

test("a request that failed: the error alert with its way to try again", async ({ page }) => {
  await registerOwner(page, "Failing Books");
  await connectSquare(page);
  // The server has a problem with the figures (and only them): the dashboard says so.
  await page.route("**/api/v1/reports/summary**", (route) =>
    route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ detail: null }) }),
  );
  await page.goto("/");
  const alert = page.getByRole("alert").filter({ hasText: "Could not load your figures" });
  await expect(alert).toBeVisible({ timeout: 20_000 });
  await expect(alert.getByRole("button", { name: /try again/i })).toBeVisible();
  await checkPage(page, "dashboard-request-failed");
});
