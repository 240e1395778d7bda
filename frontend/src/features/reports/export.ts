// Excel and CSV export. Small exports stream straight from GET /reports/export.xlsx|csv; a large
// workbook (a long period or many stores) is prepared by a background job: POST /reports/exports,
// poll GET /reports/exports/{id} for its progress, then download the file. Downloads need the
// Bearer token, so every file is fetched through authFetch and saved from a blob URL.
import type { components } from "@/client/schema";
import type { ReportParams } from "@/features/reports/api";
import { ApiError, api, unwrap } from "@/lib/api";
import { API_BASE, authFetch } from "@/lib/session";

/** The tables `export.csv?by=` knows. */
export type CsvTable = components["schemas"]["CsvTable"];
export type ExportState = components["schemas"]["ExportState"];
/** GET /reports/exports/{id} (and the POST's 202 body); progress is 0..1. */
export type ExportJob = components["schemas"]["ExportRead"];

export type ExportRequest = { format: "xlsx" } | { format: "csv"; by: CsvTable };

/** What the export is doing, for a progress indication. `progress` is null when unknown. */
export type ExportProgress = {
  phase: "preparing" | "queued" | "running" | "downloading";
  progress: number | null;
};

export type ExportFile = { blob: Blob; filename: string };

/** Past this, a workbook is prepared in the background with a progress bar (issue 8). */
export const LARGE_EXPORT_DAYS = 92;
export const LARGE_EXPORT_STORES = 20;

export function isLargeExport(days: number, storeCount: number): boolean {
  return days > LARGE_EXPORT_DAYS || storeCount > LARGE_EXPORT_STORES;
}

function absolute(path: string): string {
  return new URL(path, window.location.href).toString();
}

/** The filter part of an export URL or job, as the report API names it. */
export function exportQuery(params: ReportParams): URLSearchParams {
  const query = new URLSearchParams({
    date_from: params.date_from,
    date_to: params.date_to,
    compare: params.compare,
  });
  if (params.location_ids.length) query.set("location_ids", params.location_ids.join(","));
  if (params.group_ids.length) query.set("group_ids", params.group_ids.join(","));
  if (params.currency) query.set("currency", params.currency);
  if (params.lfl && params.compare !== "none") query.set("lfl", "true");
  if (params.constant_currency && params.compare !== "none") query.set("constant_currency", "true");
  if (params.footfall_estimates) query.set("footfall_estimates", "include");
  return query;
}

/** Whether the export is cut "so far today" as the summary is: the workbook (its Summary and By
 * day sheets) and the summary and day CSV tables; the other tables count whole days. */
export function cutSoFar(request: ExportRequest): boolean {
  return request.format === "xlsx" || request.by === "summary" || request.by === "day";
}

export function exportUrl(request: ExportRequest, params: ReportParams): string {
  const query = exportQuery(params);
  if (request.format === "csv") query.set("by", request.by);
  if (params.until_hour && cutSoFar(request)) query.set("until_hour", String(params.until_hour));
  return `${API_BASE}/reports/export.${request.format}?${query.toString()}`;
}

/** The file name a Content-Disposition header gives (RFC 6266, with RFC 5987 filename*). */
export function filenameFrom(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim().replace(/^"|"$/g, ""));
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/.exec(disposition);
  const name = (plain?.[2] ?? plain?.[1] ?? "").trim();
  return name || fallback;
}

async function failure(response: Response): Promise<ApiError> {
  let detail: unknown;
  try {
    detail = ((await response.json()) as { detail?: unknown }).detail;
  } catch {
    detail = undefined;
  }
  return new ApiError(response.status, detail);
}

async function call(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await authFetch(new Request(absolute(url), init));
  if (!response.ok) throw await failure(response);
  return response;
}

async function download(url: string, fallback: string, signal?: AbortSignal): Promise<ExportFile> {
  const response = await call(url, { signal });
  const blob = await response.blob();
  return { blob, filename: filenameFrom(response.headers.get("Content-Disposition"), fallback) };
}

function fallbackName(request: ExportRequest, params: ReportParams): string {
  const period = `${params.date_from}_${params.date_to}`;
  return request.format === "xlsx"
    ? `teliporter-${period}.xlsx`
    : `teliporter-${request.by}-${period}.csv`;
}

export async function startExportJob(params: ReportParams, signal?: AbortSignal): Promise<ExportJob> {
  const body: components["schemas"]["ExportCreate"] = {
    date_from: params.date_from,
    date_to: params.date_to,
    compare: params.compare,
    lfl: params.lfl && params.compare !== "none",
    ...(params.location_ids.length ? { location_ids: params.location_ids } : {}),
    ...(params.group_ids.length ? { group_ids: params.group_ids } : {}),
    ...(params.currency ? { currency: params.currency } : {}),
    constant_currency: Boolean(params.constant_currency) && params.compare !== "none",
    ...(params.until_hour ? { until_hour: params.until_hour } : {}),
    footfall_estimates: params.footfall_estimates ? "include" : "leave_out",
  };
  return unwrap(await api.POST("/reports/exports", { body, signal }));
}

export async function getExportJob(id: string, signal?: AbortSignal): Promise<ExportJob> {
  return unwrap(
    await api.GET("/reports/exports/{export_id}", { params: { path: { export_id: id } }, signal }),
  );
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("The export was cancelled", "AbortError"));
    });
  });
}

export type RunOptions = {
  /** Prepare the workbook as a background job (see isLargeExport). */
  large?: boolean;
  onProgress?: (progress: ExportProgress) => void;
  signal?: AbortSignal;
  pollMs?: number;
};

/** Prepares and downloads an export, telling `onProgress` how it is going. */
export async function runExport(
  request: ExportRequest,
  params: ReportParams,
  { large = false, onProgress, signal, pollMs = 1000 }: RunOptions = {},
): Promise<ExportFile> {
  const fallback = fallbackName(request, params);
  if (request.format === "csv" || !large) {
    onProgress?.({ phase: "preparing", progress: null });
    return download(exportUrl(request, params), fallback, signal);
  }
  let job = await startExportJob(params, signal);
  while (job.state === "queued" || job.state === "running") {
    onProgress?.({ phase: job.state, progress: job.progress });
    await sleep(pollMs, signal);
    job = await getExportJob(String(job.id), signal);
  }
  if (job.state === "failed") {
    throw new ApiError(500, job.error || "The export failed; please try again.");
  }
  onProgress?.({ phase: "downloading", progress: 1 });
  const url = job.download_url ?? `${API_BASE}/reports/exports/${encodeURIComponent(String(job.id))}/download`;
  const file = await download(url, job.filename ?? fallback, signal);
  return job.filename && file.filename === fallback ? { ...file, filename: job.filename } : file;
}

/** Hands a downloaded file to the browser as a download. */
export function saveFile({ blob, filename }: ExportFile): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
