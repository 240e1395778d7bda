import { expect, test } from "@playwright/test";

import { checkPage, connectSquare, registerOwner } from "./helpers";

// Point 11 of issue #23: what each figure means. The glossary lists every metric of the catalog
// the API serves, and every figure (KPI card, table column, summary row, chart) has an "i" that
// says what it means and links to its entry. The words are the catalog's: compared with the API's.

type Metric = { name: string; label: string; short_label: string; description: string; definition: string };

test("11 · every figure explains itself and links to its entry in the glossary", async ({ page }) => {
  test.setTimeout(240_000);
  // The web app's own catalog request is the API's answer the page must agree with.
  const catalogResponse = page.waitForResponse((r) => r.url().includes("/api/v1/reports/catalog") && r.ok());
  await registerOwner(page, "Plain Figures");
  const metrics = ((await (await catalogResponse).json()) as { metrics: Metric[] }).metrics;
  const byName = new Map(metrics.map((m) => [m.name, m]));
  await connectSquare(page);
  await expect(page.getByTestId("square-connection")).toContainText("Backfill complete", { timeout: 120_000 });

  // The glossary: one entry per metric, in the catalog's words, each with its own anchor.
  await page.goto("/help/metrics");
  await expect(page.getByRole("heading", { level: 1, name: "What the figures mean" })).toBeVisible();
  for (const m of metrics) {
    const entry = page.getByTestId(`glossary-${m.name}`);
    await expect(entry.getByRole("heading", { level: 2 })).toHaveText(m.short_label === m.label ? m.label : `${m.label} (${m.short_label})`);
    await expect(entry).toContainText(m.description);
    await expect(entry).toContainText(m.definition);
  }
  await expect(page.locator("[data-testid^=glossary-]")).toHaveCount(metrics.length);
  // Returns and refunds by amount are told apart, each naming the other.
  await expect(page.getByTestId("glossary-returns")).toContainText(/refund by amount/i);
  await expect(page.getByTestId("glossary-refunds_by_amount")).toContainText(/returns/i);
  for (const name of ["net_total", "average_transaction_value", "units_per_transaction", "conversion_rate", "sales_per_visitor"]) {
    await expect(page.getByTestId(`glossary-${name}`)).toBeVisible();
  }
  await page.getByLabel("Find a figure").fill("refund");
  await expect(page.getByTestId("glossary-refunds_by_amount")).toBeVisible();
  await expect(page.getByTestId("glossary-transactions")).toHaveCount(0);
  await page.getByLabel("Find a figure").fill("");
  await checkPage(page, "glossary");

  // A KPI card's "i": the catalog's description, and a link to the glossary's entry.
  await page.goto("/");
  const card = page.getByTestId("kpi-average_transaction_value");
  await expect(card.getByTestId("kpi-value")).not.toHaveAttribute("data-value", "", { timeout: 30_000 });
  const atv = byName.get("average_transaction_value");
  expect(atv).toBeDefined();
  await card.getByRole("button", { name: `What “${atv?.label}” means` }).click();
  const popover = page.getByRole("dialog");
  await expect(popover).toContainText(atv?.description ?? "");
  await checkPage(page, "glossary-kpi-popover");
  await popover.getByRole("link", { name: `${atv?.label} in the glossary` }).click();
  await expect(page).toHaveURL(/\/help\/metrics#average_transaction_value$/);
  await expect(page.getByTestId("glossary-average_transaction_value")).toBeInViewport();

  // The league table's columns, the trend chart and the heatmap explain themselves too.
  await page.goto("/");
  const league = page.getByTestId("league-table");
  await expect(league.locator("tbody tr").first()).toBeVisible({ timeout: 30_000 });
  const conversion = byName.get("conversion_rate");
  const conversionInfo = league.getByRole("button", { name: `What “${conversion?.label}” means` });
  await conversionInfo.click();
  await expect(page.getByRole("dialog")).toContainText(conversion?.description ?? "");
  // Escape closes it even when the focus is no longer inside it (the page drops the focus when the
  // popover is hidden for a moment as the page re-lays out under it), and the focus comes back to
  // the "i" that opened it.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toBeHidden();
  await expect(conversionInfo).toBeFocused();
  await expect(page.getByRole("region", { name: "Trend" }).getByRole("button", { name: /What “Net sales” means/ })).toBeVisible();

  // Every figure of a report: the summary's rows and a breakdown's columns.
  await page.goto("/reports");
  const summary = page.getByTestId("report-summary");
  await expect(summary.locator("tbody tr").first()).toBeVisible();
  const rows = await summary.locator("tbody tr").count();
  await expect(summary.locator("tbody").getByRole("button", { name: /^What “.+” means$/ })).toHaveCount(rows);
  const refunds = byName.get("refunds_by_amount");
  await summary.getByRole("button", { name: `What “${refunds?.label}” means` }).click();
  await expect(page.getByRole("dialog")).toContainText(refunds?.description ?? "");
  await page.keyboard.press("Escape");
  await page.getByRole("tab", { name: "By payment method" }).click();
  const payments = page.getByTestId("report-payment_method");
  await expect(payments.locator("tbody tr").first()).toBeVisible();
  const netTotal = byName.get("net_total");
  await payments.getByRole("button", { name: `What “${netTotal?.label}” means` }).click();
  await expect(page.getByRole("dialog")).toContainText(netTotal?.description ?? "");
  await checkPage(page, "glossary-column-popover");
});
