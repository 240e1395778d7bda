import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { ReportParams } from "@/features/reports/api";
import {
  type ExportProgress,
  exportUrl,
  filenameFrom,
  isLargeExport,
  runExport,
} from "@/features/reports/export";
import { ApiError } from "@/lib/api";
import { setAccessToken } from "@/lib/session";

const params: ReportParams = {
  date_from: "2026-01-01",
  date_to: "2026-01-31",
  location_ids: [3, 7],
  group_ids: [],
  currency: "EUR",
  compare: "previous_year",
  lfl: false,
};

type Call = { method: string; url: URL; auth: string | null; body: string };

function mockApi(handler: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  vi.stubGlobal("fetch", async (input: Request) => {
    const call = {
      method: input.method,
      url: new URL(input.url),
      auth: input.headers.get("Authorization"),
      body: input.method === "POST" ? await input.clone().text() : "",
    };
    calls.push(call);
    return handler(call);
  });
  return calls;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const xlsx = (name: string) =>
  new Response("PK\u0003\u0004workbook", {
    headers: {
      "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "Content-Disposition": `attachment; filename="${name}"`,
    },
  });

describe("export requests", () => {
  beforeEach(() => setAccessToken("token-1"));
  afterEach(() => {
    vi.unstubAllGlobals();
    setAccessToken(null);
  });

  it("downloads a normal workbook straight away, with the token and the page's filters", async () => {
    const calls = mockApi(() => xlsx("Harbour Books 2026-01-01 to 2026-01-31 EUR.xlsx"));
    const progress: ExportProgress[] = [];
    const file = await runExport({ format: "xlsx" }, params, { onProgress: (p) => progress.push(p) });

    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.method).toBe("GET");
    expect(call?.url.pathname).toBe("/api/v1/reports/export.xlsx");
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({
      date_from: "2026-01-01",
      date_to: "2026-01-31",
      compare: "previous_year",
      location_ids: "3,7",
      currency: "EUR",
    });
    expect(call?.auth).toBe("Bearer token-1");
    expect(file.filename).toBe("Harbour Books 2026-01-01 to 2026-01-31 EUR.xlsx");
    expect(await file.blob.text()).toContain("workbook");
    expect(progress).toEqual([{ phase: "preparing", progress: null }]);
  });

  it("asks for one table as CSV", async () => {
    const calls = mockApi(() => new Response("label,net_sales\n", { headers: { "Content-Type": "text/csv" } }));
    const file = await runExport({ format: "csv", by: "team_member" }, { ...params, location_ids: [], currency: null }, { large: true });
    expect(calls[0]?.url.pathname).toBe("/api/v1/reports/export.csv");
    expect(calls[0]?.url.searchParams.get("by")).toBe("team_member");
    expect(calls[0]?.url.searchParams.has("location_ids")).toBe(false);
    expect(calls[0]?.url.searchParams.has("currency")).toBe(false);
    // No Content-Disposition: a name that still says what is inside.
    expect(file.filename).toBe("teliporter-team_member-2026-01-01_2026-01-31.csv");
  });

  it("prepares a large workbook as a job, reporting its progress, then downloads it", async () => {
    let polls = 0;
    const calls = mockApi(({ method, url }) => {
      if (method === "POST") return json({ id: 42, state: "queued", progress: 0, error: null, filename: null, download_url: null, expires_at: null }, 202);
      if (url.pathname === "/api/v1/reports/exports/42") {
        polls += 1;
        return polls < 3
          ? json({ id: 42, state: "running", progress: polls * 0.4, error: null, filename: null, download_url: null, expires_at: null })
          : json({
              id: 42,
              state: "done",
              progress: 1,
              error: null,
              filename: "Harbour 2025.xlsx",
              download_url: "/api/v1/reports/exports/42/download",
              expires_at: "2026-02-01T00:00:00Z",
            });
      }
      if (url.pathname === "/api/v1/reports/exports/42/download") return xlsx("Harbour 2025.xlsx");
      return json({ detail: "Not Found" }, 404);
    });
    const progress: ExportProgress[] = [];
    const file = await runExport({ format: "xlsx" }, params, {
      large: true,
      pollMs: 1,
      onProgress: (p) => progress.push(p),
    });
    expect(JSON.parse(calls[0]?.body ?? "")).toEqual({
      date_from: "2026-01-01",
      date_to: "2026-01-31",
      compare: "previous_year",
      lfl: false,
      constant_currency: false,
      footfall_estimates: "leave_out",
      location_ids: [3, 7],
      currency: "EUR",
    });
    expect(progress).toEqual([
      { phase: "queued", progress: 0 },
      { phase: "running", progress: 0.4 },
      { phase: "running", progress: 0.8 },
      { phase: "downloading", progress: 1 },
    ]);
    expect(calls.every((c) => c.auth === "Bearer token-1")).toBe(true);
    expect(file.filename).toBe("Harbour 2025.xlsx");
  });

  it("says why when a job fails or the API refuses", async () => {
    mockApi(({ method }) =>
      method === "POST"
        ? json({ id: 5, state: "failed", progress: 0.3, error: "No EUR rate for 2026-01-03", filename: null, download_url: null, expires_at: null }, 202)
        : json({ detail: "unexpected" }, 500),
    );
    await expect(runExport({ format: "xlsx" }, params, { large: true, pollMs: 1 })).rejects.toThrow("No EUR rate for 2026-01-03");

    mockApi(() => json({ detail: [{ field: "location_ids", msg: "Location 9 is not yours" }] }, 422));
    const error = await runExport({ format: "xlsx" }, params).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(422);
    expect((error as ApiError).message).toBe("Location 9 is not yours");
  });

  it("stops polling when cancelled", async () => {
    const calls = mockApi(() => json({ id: 1, state: "running", progress: 0.1, error: null, filename: null, download_url: null, expires_at: null }));
    const abort = new AbortController();
    const run = runExport({ format: "xlsx" }, params, { large: true, pollMs: 50, signal: abort.signal });
    await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await expect(run).rejects.toThrow(/cancelled/);
    expect(calls).toHaveLength(1);
  });
});

describe("export helpers", () => {
  it("reads the file name, preferring the UTF-8 form", () => {
    expect(filenameFrom('attachment; filename="a b.xlsx"', "x")).toBe("a b.xlsx");
    expect(filenameFrom("attachment; filename=plain.csv", "x")).toBe("plain.csv");
    expect(filenameFrom("attachment; filename=\"Cafe.xlsx\"; filename*=UTF-8''Caf%C3%A9%20M%C3%BCnchen.xlsx", "x")).toBe(
      "Café München.xlsx",
    );
    expect(filenameFrom(null, "fallback.xlsx")).toBe("fallback.xlsx");
  });

  it("uses the background job for long periods or many stores", () => {
    expect(isLargeExport(31, 2)).toBe(false);
    expect(isLargeExport(92, 20)).toBe(false);
    expect(isLargeExport(93, 1)).toBe(true);
    expect(isLargeExport(7, 21)).toBe(true);
  });

  it("cuts the workbook and the summary and day tables so far today, as the summary request is", async () => {
    const today = { ...params, location_ids: [], until_hour: 15 };
    expect(exportUrl({ format: "xlsx" }, today)).toBe(
      "/api/v1/reports/export.xlsx?date_from=2026-01-01&date_to=2026-01-31&compare=previous_year&currency=EUR&until_hour=15",
    );
    expect(exportUrl({ format: "csv", by: "day" }, today)).toContain("until_hour=15");
    expect(exportUrl({ format: "csv", by: "summary" }, today)).toContain("until_hour=15");
    // A breakdown's table counts whole days (the API refuses until_hour there).
    expect(exportUrl({ format: "csv", by: "hour" }, today)).not.toContain("until_hour");
    // Not today: nothing to cut.
    expect(exportUrl({ format: "xlsx" }, { ...today, until_hour: null })).not.toContain("until_hour");
    setAccessToken("token-1");
    const calls = mockApi(({ method }) =>
      method === "POST" ? json({ detail: "stop here" }, 500) : json({ detail: "Not Found" }, 404),
    );
    await expect(runExport({ format: "xlsx" }, today, { large: true, pollMs: 1 })).rejects.toBeInstanceOf(ApiError);
    expect(JSON.parse(calls[0]?.body ?? "")).toMatchObject({ until_hour: 15 });
    vi.unstubAllGlobals();
    setAccessToken(null);
  });

  it("builds the direct URL from the filters", () => {
    expect(exportUrl({ format: "csv", by: "hour" }, { ...params, location_ids: [] })).toBe(
      "/api/v1/reports/export.csv?date_from=2026-01-01&date_to=2026-01-31&compare=previous_year&currency=EUR&by=hour",
    );
  });
});
