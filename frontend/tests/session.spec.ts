import { expect, test } from "@playwright/test";

import { navLink, registerOwner, signIn } from "./helpers";

// The e2e server issues access tokens that last one minute (ACCESS_TOKEN_EXPIRE_MINUTES=1), so
// both cases share one wait for the token in memory to expire.
test("an expired token is renewed silently; without a refresh cookie the user signs in and returns", async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const staying = await (await browser.newContext()).newPage();
  const leaving = await (await browser.newContext()).newPage();
  await registerOwner(staying, "Silent Refresh Ltd");
  const owner = await registerOwner(leaving, "Ended Session Ltd");
  await leaving.goto("/reports?range=last_month&compare=none");
  await expect(leaving.getByRole("heading", { name: "Reports" })).toBeVisible();

  const refreshes: number[] = [];
  const unauthorised: string[] = [];
  staying.on("response", (response) => {
    if (response.url().endsWith("/api/v1/auth/refresh")) refreshes.push(response.status());
    else if (response.status() === 401) unauthorised.push(response.url());
  });

  // The refresh cookie of the second user goes (as when it expires or is revoked).
  await leaving.context().clearCookies();
  // Let both access tokens in memory expire, then use the app without reloading.
  await staying.waitForTimeout(65_000);

  await navLink(staying, "Settings").click();
  await expect(staying.getByLabel("Name")).toHaveValue("Silent Refresh Ltd");
  await expect(staying.getByTestId("users-table")).toContainText("Ada Owner");
  await expect(staying).toHaveURL(/\/settings$/);
  // The API refused the stale token, one refresh renewed it, and the requests were retried.
  expect(unauthorised.length).toBeGreaterThan(0);
  expect(refreshes).toEqual([200]);

  await navLink(leaving, "Settings").click();
  await expect(leaving).toHaveURL(/\/sign-in\?next=%2Fsettings&expired=1$/);
  await expect(leaving.getByText("Your session has ended")).toBeVisible();
  await signIn(leaving, owner.email);
  await expect(leaving).toHaveURL(/\/settings$/);
  await expect(leaving.getByLabel("Name")).toHaveValue("Ended Session Ltd");
});
