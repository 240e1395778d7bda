import type { CSSProperties } from "react";

/**
 * The props of figures whose new values are on their way (a query's placeholder data): the old
 * ones are dimmed meanwhile and fade back in, and the region says it is updating (aria-busy), so
 * a screen reader waits, and so do the e2e tests' accessibility checks.
 */
export function dimmedWhileBusy(busy: boolean): { "aria-busy": true | undefined; style: CSSProperties } {
  return { "aria-busy": busy || undefined, style: { opacity: busy ? 0.6 : 1, transition: "opacity 150ms" } };
}
