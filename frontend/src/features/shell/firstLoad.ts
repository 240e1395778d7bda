// The first load of a page, started before React renders: without this the requests form a
// chain (session refresh → catalog → the page's chunk → stores → the figures), each waiting for
// the one before and for a render between them.
import type { QueryClient } from "@tanstack/react-query";

import { meQuery } from "@/features/auth/api";
import { catalogQuery } from "@/features/catalog/api";
import { dayCount } from "@/features/filters/dateRange";
import { footfallCoverageQuery, locationGroupsQuery, locationsQuery } from "@/features/locations/api";
import {
  breakdownQuery,
  granularityFor,
  heatmapQuery,
  reportParamsFor,
  summaryQuery,
  timeseriesQuery,
} from "@/features/reports/api";
import { startSessionRestore } from "@/lib/session";
import { preloadPage } from "@/pages";

/** What the dashboard asks for on its first render, asked for now (the same query keys, so the
 * page finds them in the cache or on their way). */
function prefetchDashboard(queryClient: QueryClient, search: URLSearchParams): void {
  const params = reportParamsFor(search);
  const granularity = granularityFor(dayCount({ from: params.date_from, to: params.date_to }));
  void queryClient.prefetchQuery(summaryQuery(params));
  void queryClient.prefetchQuery(timeseriesQuery(params, granularity));
  void queryClient.prefetchQuery(breakdownQuery(params, "location"));
  void queryClient.prefetchQuery(heatmapQuery(params));
  void queryClient.prefetchQuery(footfallCoverageQuery(params.date_from, params.date_to));
}

/**
 * Starts, all at once: the session refresh, the download of the page's chunk, and, as soon as
 * the session is back, what every signed-in page needs (the catalog, the user, the stores and
 * groups) and the dashboard's figures when the load opens on it.
 */
export function startFirstLoad(queryClient: QueryClient, location: Location): void {
  const restored = startSessionRestore();
  preloadPage(location.pathname);
  // The dashboard's chart (recharts, the largest chunk) comes with the page's own chunk, not once
  // that has arrived and run: chained, it started ~0.5 s later and was the last thing the
  // dashboard waited for. Signed out, "/" leads to sign-in, which leads back here.
  if (location.pathname === "/") void import("@/features/dashboard/components/TrendChart").catch(() => undefined);
  void restored.then((signedIn) => {
    if (!signedIn) return;
    void queryClient.prefetchQuery(catalogQuery());
    void queryClient.prefetchQuery(meQuery());
    void queryClient.prefetchQuery(locationsQuery());
    void queryClient.prefetchQuery(locationGroupsQuery());
    if (location.pathname === "/") prefetchDashboard(queryClient, new URLSearchParams(location.search));
  });
}
