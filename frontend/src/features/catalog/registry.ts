// The report catalog (GET /reports/catalog) as the rest of the app reads it: every metric's
// label, short label, kind and direction, and every breakdown's tab, column header and columns.
// The backend declares them once (app/catalog); the signed-in layout fetches the catalog and
// registers it here before any page renders (CatalogGate), so plain functions such as
// metricLabel() can read it without a hook. A metric or breakdown added in the backend shows up
// here with no frontend edit.
import { useSyncExternalStore } from "react";

import type { components } from "@/client/schema";

export type Catalog = components["schemas"]["CatalogRead"];
export type CatalogMetric = components["schemas"]["MetricRead"];
export type CatalogBreakdown = components["schemas"]["BreakdownSpecRead"];

let current: Catalog | null = null;
let metricsByName = new Map<string, CatalogMetric>();
let breakdownsByName = new Map<string, CatalogBreakdown>();
const listeners = new Set<() => void>();

/**
 * Every metric's name in the catalog's order (METRICS.md's), kept up to date in place by
 * setCatalog so a module can hold on to it; empty until a catalog is registered.
 */
export const METRIC_NAMES: string[] = [];

/** Registers the catalog every helper reads (the signed-in layout does, once it has loaded). */
export function setCatalog(catalog: Catalog): void {
  if (catalog === current) return;
  current = catalog;
  metricsByName = new Map(catalog.metrics.map((m) => [m.name, m]));
  breakdownsByName = new Map(catalog.breakdowns.map((b) => [b.name, b]));
  METRIC_NAMES.splice(0, METRIC_NAMES.length, ...catalog.metrics.map((m) => m.name));
  for (const listener of listeners) listener();
}

/** The registered catalog, or null before one is. */
export function getCatalog(): Catalog | null {
  return current;
}

export function catalogMetric(name: string): CatalogMetric | undefined {
  return metricsByName.get(name);
}

/** The metrics the sales summary shows, in the catalog's order. */
export function summaryMetricNames(): string[] {
  return (current?.metrics ?? []).filter((m) => m.in_summary).map((m) => m.name);
}

/** Every breakdown (a report tab each), in the catalog's order. */
export function catalogBreakdowns(): readonly CatalogBreakdown[] {
  return current?.breakdowns ?? [];
}

export function catalogBreakdown(name: string): CatalogBreakdown | undefined {
  return breakdownsByName.get(name);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The registered catalog, re-rendering the component when another one is registered. */
export function useRegisteredCatalog(): Catalog | null {
  return useSyncExternalStore(subscribe, getCatalog, getCatalog);
}
