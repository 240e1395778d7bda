import { type QueryClient, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { locationKeys } from "@/features/locations/api";
import { ApiError, api, unwrap } from "@/lib/api";

export type FootfallEntry = components["schemas"]["FootfallRead"];
export type FootfallCell = components["schemas"]["FootfallCell"];
export type ImportReport = components["schemas"]["ImportReport"];
export type ImportRow = components["schemas"]["ImportRow"];

/**
 * Footfall feeds conversion, sales per visitor and the stores' footfall gaps: after a change,
 * those figures are asked for again rather than shown stale for up to the cache's lifetime.
 */
function invalidateFootfall(queryClient: QueryClient) {
  for (const queryKey of [footfallKeys.all, ["reports"], locationKeys.all]) {
    void queryClient.invalidateQueries({ queryKey });
  }
}

export const footfallKeys = {
  all: ["footfall"] as const,
  range: (from: string, to: string, locationIds: number[]) =>
    [...footfallKeys.all, "range", from, to, locationIds] as const,
};

/** Every entry (whole days and hours) of the stores between two dates, both included. */
export function useFootfall(from: string, to: string, locationIds: number[], enabled = true) {
  return useQuery({
    queryKey: footfallKeys.range(from, to, locationIds),
    enabled: enabled && locationIds.length > 0,
    queryFn: async () =>
      unwrap(
        await api.GET("/footfall", {
          params: {
            query: {
              date_from: from,
              date_to: to,
              location_ids: [locationIds.join(",")],
              limit: 50_000,
            },
          },
        }),
      ),
  });
}

/** Saves the grid's changed cells all or nothing (a count sets, closed closes, blank clears). */
export function useSaveFootfall() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (entries: FootfallCell[]) =>
      unwrap(await api.PUT("/footfall/bulk", { body: { entries, source: "manual" } })),
    onSuccess: () => invalidateFootfall(queryClient),
  });
}

/** An import refused because of rejected rows: the report says which and why. */
export class ImportRejectedError extends ApiError {
  readonly report: ImportReport;

  constructor(status: number, detail: unknown, report: ImportReport) {
    super(status, detail);
    this.report = report;
  }
}

/** Uploads a CSV: a dry run reports row by row what would happen; otherwise it is written. */
export function useImportFootfall() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ file, dryRun }: { file: File; dryRun: boolean }) => {
      const result = await api.POST("/footfall/import", {
        params: { query: { dry_run: dryRun } },
        // The generated type says string (binary); the browser sends the File as multipart.
        body: { file: file as unknown as string },
        bodySerializer: (body) => {
          const form = new FormData();
          form.append("file", body.file as unknown as Blob, file.name);
          return form;
        },
      });
      const error = result.error as { detail?: unknown; report?: ImportReport } | undefined;
      if (error?.report) throw new ImportRejectedError(result.response.status, error.detail, error.report);
      return unwrap(result);
    },
    onSuccess: (report) => {
      if (report.applied) invalidateFootfall(queryClient);
    },
  });
}

/** Downloads the CSV template (one row per store you may write) through the signed-in client. */
export async function downloadTemplate(): Promise<void> {
  const result = await api.GET("/footfall/template.csv", { parseAs: "blob" });
  const blob = unwrap(result) as unknown as Blob;
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = "footfall-template.csv";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
