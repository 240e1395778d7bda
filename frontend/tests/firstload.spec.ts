import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, test } from "@playwright/test";

import { apiGet, connectSquare, measureFirstLoad, median, registerOwner } from "./helpers";

// #23 "First load to a filled dashboard stays ≤ 1.5 s on a quiet machine and the first page's JS
// ≤ 300 KB gzip (printed, not asserted as timing)". After the first sync, the dashboard is
// loaded cold (a fresh browser context, empty cache, a signed-in session's cookie) several times;
// each time, the median and the requests of the median load are printed. Nothing here asserts
// on time: only that every load did end with a filled dashboard.

const RUNS = 5;
const DIST = resolve(dirname(fileURLToPath(import.meta.url)), "../dist");

function iso(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}

function firstPageJs(): string {
  const html = readFileSync(join(DIST, "index.html"), "utf8");
  const files = [...html.matchAll(/(?:src|href)="\/?([^"]+\.js)"/g)].map((m) => m[1] as string);
  const bytes = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(DIST, f)), { level: 9 }).length, 0);
  return `${(bytes / 1024).toFixed(1)} KB gzip in ${files.length} files (budget 300 KB)`;
}

// Playwright's trace (retain-on-failure in the config) snapshots the page's DOM as the test acts
// on it, inside the page: ~0.2–0.8 s of a cold load in the profile, work no user's browser does.
test.use({ trace: "off" });

test("first load to a filled dashboard, cold, several times (printed)", async ({ browser, request }) => {
  test.setTimeout(300_000);
  const setup = await (await browser.newContext()).newPage();
  const owner = await registerOwner(setup, "First Load Books");
  await connectSquare(setup);
  await expect(setup.getByTestId("square-connection")).toContainText("Backfill complete", { timeout: 120_000 });
  let cookies = await setup.context().cookies();
  await setup.context().close();
  // The server's first report request loads its exchange rates: warm it so the figure is the page's.
  const to = new Date();
  to.setDate(to.getDate() - 1);
  const from = new Date();
  from.setDate(from.getDate() - 7);
  await apiGet(request, owner.email, "/reports/summary", { date_from: iso(from), date_to: iso(to), compare: "previous_period" });

  const loads = [];
  for (let run = 0; run < RUNS; run += 1) {
    const load = await measureFirstLoad(browser, cookies);
    cookies = load.cookies;
    loads.push(load);
  }
  const times = loads.map((l) => l.filled);
  const mid = median(times);
  const typical = loads.find((l) => l.filled === mid) ?? loads[Math.floor(RUNS / 2)];
  const project = test.info().project.name;
  console.log(
    `[${project}] first load to a filled dashboard: median ${mid} ms of ${RUNS} cold loads (${times.join(", ")} ms; target ≤ 1500 ms)`,
  );
  console.log(
    `[${project}] the last script or API answer of the load had arrived at: median ${median(loads.map((l) => l.lastResponse))} ms (${loads.map((l) => l.lastResponse).join(", ")} ms)`,
  );
  console.log(`[${project}] the first page's JS before lazy chunks: ${firstPageJs()}`);
  if (typical) {
    console.log(`[${project}] requests of a median load (start–end after navigation start):\n  ${typical.requests.join("\n  ")}`);
    console.log(`[${project}] long tasks: ${typical.longTasks.join(", ") || "none"}`);
  }
  expect(times).toHaveLength(RUNS);
});
