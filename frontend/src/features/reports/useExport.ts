import { useCallback, useEffect, useRef, useState } from "react";

import { dayCount } from "@/features/filters/dateRange";
import type { ReportParams } from "@/features/reports/api";
import {
  type ExportProgress,
  type ExportRequest,
  isLargeExport,
  runExport,
  saveFile,
} from "@/features/reports/export";
import { errorMessage } from "@/lib/api";

export type ExportStatus = {
  /** The export under way ("xlsx" or the CSV table), or null. */
  running: string | null;
  progress: ExportProgress | null;
  error: string | null;
  /** The last file saved. */
  saved: string | null;
};

/** Runs one export at a time for the page's filters, with its progress and outcome. */
export function useExport(params: ReportParams, storeCount: number) {
  const [status, setStatus] = useState<ExportStatus>({ running: null, progress: null, error: null, saved: null });
  const controller = useRef<AbortController | null>(null);
  useEffect(() => () => controller.current?.abort(), []);

  const start = useCallback(
    async (request: ExportRequest) => {
      controller.current?.abort();
      const abort = new AbortController();
      controller.current = abort;
      const name = request.format === "xlsx" ? "xlsx" : request.by;
      const stores = params.location_ids.length || storeCount;
      const large =
        request.format === "xlsx" &&
        isLargeExport(dayCount({ from: params.date_from, to: params.date_to }), stores);
      setStatus({ running: name, progress: { phase: "preparing", progress: null }, error: null, saved: null });
      try {
        const file = await runExport(request, params, {
          large,
          signal: abort.signal,
          onProgress: (progress) => setStatus((s) => ({ ...s, progress })),
        });
        saveFile(file);
        setStatus({ running: null, progress: null, error: null, saved: file.filename });
      } catch (error) {
        if (abort.signal.aborted) {
          setStatus({ running: null, progress: null, error: null, saved: null });
          return;
        }
        setStatus({ running: null, progress: null, error: errorMessage(error), saved: null });
      }
    },
    [params, storeCount],
  );

  const cancel = useCallback(() => controller.current?.abort(), []);
  return { status, start, cancel };
}
