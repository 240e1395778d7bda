// A store's re-dating after a settings change (business-day start, timezone): how the web app
// words it. The API puts the job on each store (`recalculation`) and lists the stores of a report
// still being recalculated in the report's `recalculating`.
import type { components } from "@/client/schema";

export type Recalculation = components["schemas"]["RecalculationRead"];

/** How often a page asks again while a store's figures are being recalculated. */
export const RECALCULATION_POLL_MS = 4000;

export function isPending(job: Recalculation | null | undefined): boolean {
  return !!job && job.state !== "done";
}

export function percentDone(job: Recalculation): number {
  return Math.floor((job.state === "done" ? 1 : job.progress) * 100);
}

/** "Dublin", "Dublin and Cork", "Dublin, Cork and Galway". */
export function joinNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** One line on a job's state, for a store's settings. */
export function describeRecalculation(job: Recalculation): string {
  switch (job.state) {
    case "queued":
      return "Recalculation waiting to start";
    case "running":
      return `Recalculating: ${percentDone(job)}% done`;
    case "failed":
      return `Recalculation failed (${job.error ?? "unknown error"}); it will be tried again`;
    case "done":
      return "Figures up to date";
  }
}
