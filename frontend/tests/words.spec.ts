import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, test } from "@playwright/test";

import { checkPage, connectSquare, registerOwner } from "./helpers";

// Point 14 of issue #23: words for shop people, not developers. Stores are "stores" in the app and
// in the workbook alike, payment methods are named as a shop names them, plurals are spelled right.

const PYTHON = resolve(dirname(fileURLToPath(import.meta.url)), "../../.venv/bin/python");
const READ_SHEETS = `
import json, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1], read_only=True)
cover = {row[0]: row[1] for row in book[book.sheetnames[0]].iter_rows(values_only=True) if row and row[0]}
stores = next(book["By store"].iter_rows(values_only=True, max_row=1))
print(json.dumps({"sheets": book.sheetnames, "cover": list(cover), "store_header": stores[0]}))
`;

function daysAgo(n: number): string {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

test("14 · the app and the workbook speak a shop's language", async ({ page }) => {
  test.setTimeout(240_000);
  await registerOwner(page, "Plain Words Co");
  await connectSquare(page);
  const card = page.getByTestId("square-connection");
  await expect(card).toContainText("Backfill complete", { timeout: 120_000 });
  await expect(page.locator("body")).not.toContainText("Waiting for a worker");

  await page.goto(`/reports?range=custom&from=${daysAgo(30)}&to=${daysAgo(1)}`);
  await expect(page.getByRole("heading", { level: 1, name: "Reports" })).toBeVisible();
  // The tabs come with the stores (the heading is drawn before): read them once they are there.
  await expect(page.getByRole("tab").first()).toBeVisible();
  const tabs = await page.getByRole("tab").allTextContents();
  expect(tabs).toContain("By store");
  expect(tabs.join(" ")).not.toMatch(/location/i);

  // Every tab's search box is a proper plural.
  for (const [tab, search] of [
    ["By store", "Search stores"],
    ["By category", "Search categories"],
    ["By team member", "Search team members"],
    ["By payment method", "Search payment methods"],
  ] as const) {
    await page.getByRole("tab", { name: tab, exact: true }).click();
    await expect(page.getByRole("tabpanel").getByLabel(search, { exact: true })).toBeVisible();
  }

  // Payment methods: card brands and Square's tender types in words; "Other" says what it is.
  const methods = page.getByTestId("report-payment_method");
  await page.getByRole("tab", { name: "By payment method", exact: true }).click();
  await expect(methods.locator("tbody tr").first()).toBeVisible();
  const names = (await methods.locator("tbody").getByRole("rowheader").allTextContents()).map((s) => s.trim());
  expect(names).toContain("Cash");
  expect(names.some((n) => /^Card \(.+\)$/.test(n))).toBe(true);
  expect(names).not.toContain("Other");
  expect(names.every((n) => !/[A-Z]{3,}|_/.test(n))).toBe(true);
  if (names.some((n) => n.startsWith("Other"))) expect(names).toContain("Other (paid outside Square)");
  await checkPage(page, "words-payment-methods");

  // The workbook names stores as the app does.
  const download = page.waitForEvent("download", { timeout: 120_000 });
  await page.getByRole("button", { name: "Export to Excel" }).click();
  const file = await download;
  const path = test.info().outputPath(file.suggestedFilename());
  await file.saveAs(path);
  const book = JSON.parse(execFileSync(PYTHON, ["-c", READ_SHEETS, path], { encoding: "utf8" })) as {
    sheets: string[];
    cover: string[];
    store_header: string;
  };
  expect(book.sheets).toContain("By store");
  expect(book.sheets.join(" ")).not.toMatch(/location/i);
  expect(book.store_header).toBe("Store");
  expect(book.cover).toContain("Stores");
});
