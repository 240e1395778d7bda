import { execFileSync } from "node:child_process";

import { defineConfig, devices } from "@playwright/test";

// Through the production topology (backend/tests/deploy: nginx in front of the API), the harness
// serves everything and hands its URL over; otherwise the suite starts its own server below.
const topologyURL = process.env.TOPOLOGY_URL;

// One free loopback port for the whole run; workers inherit it through the environment.
if (!topologyURL && !process.env.E2E_PORT) {
  process.env.E2E_PORT = execFileSync(
    "python3",
    ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"],
    { encoding: "utf8" },
  ).trim();
}
const baseURL = topologyURL ?? `http://127.0.0.1:${process.env.E2E_PORT}`;

export default defineConfig({
  testDir: "./tests",
  outputDir: "../artifacts/playwright",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 2,
  retries: 0,
  reporter: process.env.CI ? [["list"]] : [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's Chromium: `npx playwright install` cannot download browsers here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  // Every spec runs at both widths the issue names: a desktop and a phone (Chromium only).
  projects: [
    {
      name: "desktop",
      use: { ...devices["Desktop Chrome"], channel: undefined, viewport: { width: 1440, height: 900 } },
    },
    {
      name: "phone",
      use: {
        ...devices["Desktop Chrome"],
        channel: undefined,
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
      },
    },
  ],
  webServer: topologyURL
    ? undefined
    : {
        // The real backend serving the built app (frontend/dist) on a fresh SQLite database, with a
        // Celery worker per queue; access tokens last one minute so the silent refresh is exercised.
        command: `bash tests/e2e-server.sh ${process.env.E2E_PORT}`,
        url: `${baseURL}/sign-in`,
        timeout: 90_000,
        reuseExistingServer: false,
        stdout: "ignore",
        stderr: "pipe",
      },
});
