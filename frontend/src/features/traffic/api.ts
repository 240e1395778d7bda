// GET /reports/traffic (footfall, conversion and sales by hour and weekday × hour over the
// store-days with hourly counts) through the typed client, keyed by the shared URL filters.
import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { type ReportParams, reportKeys, reportQuery } from "@/features/reports/api";
import { api, unwrap } from "@/lib/api";

export type Traffic = components["schemas"]["TrafficRead"];
export type TrafficHour = components["schemas"]["TrafficHour"];
export type TrafficWeekdayHour = components["schemas"]["TrafficWeekdayHour"];

export const trafficKeys = {
  // Under the reports' keys: whatever invalidates the reports invalidates traffic too.
  traffic: (p: ReportParams) => [...reportKeys.all, "traffic", p] as const,
};

export function trafficQuery(params: ReportParams) {
  return queryOptions({
    queryKey: trafficKeys.traffic(params),
    // The period's own figures: a comparison only picks like-for-like's store-days.
    queryFn: async () =>
      unwrap(await api.GET("/reports/traffic", { params: { query: reportQuery(params, "none") } })),
  });
}

export function useTraffic(params: ReportParams) {
  return useQuery({ ...trafficQuery(params), placeholderData: keepPreviousData });
}
