import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, type Page, test } from "@playwright/test";

import { checkPage, connectSquare, registerOwner } from "./helpers";

// Issue 23, points 7 and 15: the first sync of the simulated Square account (tests/e2e-server.sh)
// shows its progress with counts on the settings page and a "history still loading" notice on
// the dashboard until it is done; a long workbook is made in the background with a moving
// progress bar, and it prints (landscape, one page wide, header rows repeated, page numbers).

const PYTHON = resolve(dirname(fileURLToPath(import.meta.url)), "../../.venv/bin/python");
// The workbook's print set-up as openpyxl reads it, per sheet.
const READ_PRINT_SETUP = `
import json, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
print(json.dumps({s.title: {
    "orientation": s.page_setup.orientation,
    "paper": s.page_setup.paperSize,
    "fit_to_page": bool(s.sheet_properties.pageSetUpPr and s.sheet_properties.pageSetUpPr.fitToPage),
    "fit_width": s.page_setup.fitToWidth or 1,
    "fit_height": s.page_setup.fitToHeight,
    "title_rows": s.print_title_rows,
    "header": s.oddHeader.center.text,
    "footer": s.oddFooter.center.text,
} for s in book.worksheets}))
`;

type PrintSetup = {
  orientation: string;
  paper: number;
  fit_to_page: boolean;
  fit_width: number;
  fit_height: number;
  title_rows: string | null;
  header: string | null;
  footer: string | null;
};

function daysAgo(n: number): string {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** The page must not scroll sideways (phones of 360–390 px included). */
async function expectNoSideways(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

/**
 * Connects the simulated Square account as `connectSquare` does, with Square answering order
 * searches slowly for a while (the simulator's fault rules, on its authorize page's origin), so
 * the first sync lasts long enough to be watched (the simulated account has only ~18 days).
 */
async function connectSlowly(page: Page): Promise<void> {
  await page.goto("/settings/square");
  await page.getByRole("button", { name: "Connect Square account" }).click();
  await expect(page.getByRole("button", { name: "Allow" })).toBeVisible();
  const simulator = new URL(page.url()).origin;
  const fault = await page.request.post(`${simulator}/_simulator/faults`, {
    data: { kind: "slow", path: "/v2/orders/search", delay_s: 1.0, count: 30 },
  });
  expect(fault.ok()).toBe(true);
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(page.getByTestId("square-outcome")).toContainText("Square account connected");
}

test("7 · the first sync shows its progress with counts, then complete with a last sync; the dashboard says history is loading until it is done", async ({
  page,
}) => {
  test.setTimeout(240_000);
  await registerOwner(page, "Progress Provisions");
  await connectSlowly(page);
  const card = page.getByTestId("square-connection");

  // Days and orders of how many, per store, while the history loads.
  const progress = card.getByTestId("history-progress");
  await expect(progress).toBeVisible();
  await expect(progress.getByTestId("history-counts")).toContainText(/[\d,]+ of [\d,]+ days · [\d,]+/);
  await expect(progress.getByRole("progressbar", { name: "Sales history loaded" })).toBeVisible();
  await expect(card.getByText("Last sync").locator("..")).toContainText("Not yet");
  await expect(card).not.toContainText("Backfill complete");
  await expectNoSideways(page);
  await checkPage(page, "sync-settings-progress");

  // The dashboard says the history is still loading; the notice goes away by itself.
  await page.goto("/");
  const notice = page.getByTestId("history-loading-notice");
  await expect(notice).toContainText("Sales history is still loading");
  await expect(notice).toContainText(/incomplete/);
  await expectNoSideways(page);
  await checkPage(page, "sync-dashboard-loading");
  await expect(notice).toHaveCount(0, { timeout: 180_000 });
  await expect(page.getByTestId("dashboard-figures")).toBeVisible();
  await checkPage(page, "sync-dashboard-loaded");

  // Complete only now, beside a last sync time.
  await page.goto("/settings/square");
  await expect(card).toContainText("Backfill complete");
  await expect(card.getByText("Last sync").locator("..")).not.toContainText("Not yet");
  await expect(card.getByTestId("history-progress")).toHaveCount(0);
  await expectNoSideways(page);
  await checkPage(page, "sync-settings-complete");
});

test("15 · a long workbook is made in the background with a moving progress bar, and it prints", async ({ page }) => {
  test.setTimeout(240_000);
  await registerOwner(page, "Printing Press Cafe");
  await connectSquare(page);
  await expect(page.getByTestId("square-connection")).toContainText("Backfill complete", { timeout: 180_000 });

  const from = daysAgo(700);
  const to = daysAgo(1);
  await page.goto(`/reports?range=custom&from=${from}&to=${to}`);
  await expect(page.getByTestId("report-summary").getByRole("rowheader", { name: "Net sales" })).toBeVisible();
  // The progress the page is given each time it polls the export, as its bar shows it.
  const seen: number[] = [];
  page.on("response", async (response) => {
    if (!/\/reports\/exports\/[0-9a-f]+$/.test(new URL(response.url()).pathname)) return;
    const body = (await response.json().catch(() => null)) as { state: string; progress: number } | null;
    if (body?.state === "running") seen.push(Math.round(body.progress * 100));
  });
  const download = page.waitForEvent("download", { timeout: 180_000 });
  await page.getByRole("button", { name: "Export to Excel" }).click();
  const bar = page.getByTestId("export-progress");
  await expect(bar).toBeVisible();
  await expect(page.getByTestId("export-status")).toContainText(/Building the workbook… \d+%/);
  await expectNoSideways(page);
  await checkPage(page, "sync-reports-export");
  const file = await download;
  const moves = seen.filter((value, i) => i === 0 || value !== seen[i - 1]);
  expect(moves, `progress seen: ${seen.join(", ")}`).toEqual([...moves].sort((a, b) => a - b));
  expect(new Set(moves).size, `progress seen: ${seen.join(", ")}`).toBeGreaterThanOrEqual(3);

  const path = test.info().outputPath(file.suggestedFilename());
  await file.saveAs(path);
  const sheets = JSON.parse(execFileSync(PYTHON, ["-c", READ_PRINT_SETUP, path], { encoding: "utf8" })) as Record<
    string,
    PrintSetup
  >;
  expect(Object.keys(sheets)).toContain("Cover");
  for (const [title, setup] of Object.entries(sheets)) {
    expect(setup.orientation, title).toBe("landscape");
    expect([1, 9], title).toContain(setup.paper); // Letter or A4, by the stores' country
    expect(setup.fit_to_page && setup.fit_width === 1 && setup.fit_height === 0, title).toBe(true);
    expect(setup.header, title).toBe(`${from} to ${to}`);
    expect(setup.footer, title).toBe("Page &P of &N");
  }
  for (const title of ["By day", "By item", "Item by day"]) expect(sheets[title]?.title_rows).toBe("$1:$1");
});
