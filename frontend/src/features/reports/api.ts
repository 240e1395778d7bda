// The report API (GET /reports/summary, /timeseries, /breakdown, /heatmap) through the typed
// client, keyed by the shared URL filters so every page asks for the same figures.
import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";

import type { components } from "@/client/schema";
import { type Compare, type DateRange, untilHour } from "@/features/filters/dateRange";
import { type Filters, parseFilters, selectedRange } from "@/features/filters/filterParams";
import { useFilters } from "@/features/filters/useFilters";
import { RECALCULATION_POLL_MS } from "@/features/locations/recalculation";
import { api, unwrap } from "@/lib/api";

export type Summary = components["schemas"]["SummaryRead"];
export type Timeseries = components["schemas"]["TimeseriesRead"];
export type Breakdown = components["schemas"]["BreakdownRead"];
export type BreakdownBy = components["schemas"]["BreakdownBy"];
export type Heatmap = components["schemas"]["HeatmapRead"];
export type Granularity = components["schemas"]["Granularity"];
export type Coverage = components["schemas"]["Coverage"];
export type RatesUsed = components["schemas"]["RatesUsed"];

/** What every report request carries: the filters of the page, as the API names them. */
export type ReportParams = {
  date_from: string;
  date_to: string;
  /** Empty: every store the user may see. */
  location_ids: number[];
  /** Store groups: their stores (with location_ids, the stores in both). Empty: no filter. */
  group_ids: number[];
  /** Null: the organization's reporting currency. */
  currency: string | null;
  compare: Compare;
  /** "So far today" (dateRange.untilHour): the summary, the day (week, month) series and the
   * workbook count the last day, and the comparison's, only up to this local hour. */
  until_hour?: number | null;
  /** Like-for-like (only with a comparison). */
  lfl: boolean;
  /** The comparison at the period's exchange rates (sent only with a comparison). */
  constant_currency?: boolean;
  /** Estimated footfall in footfall, conversion and sales per visitor (off: left out). */
  footfall_estimates?: boolean;
};

function toReportParams(filters: Filters, range: DateRange, until: number | null): ReportParams {
  return {
    date_from: range.from,
    date_to: range.to,
    location_ids: filters.stores,
    group_ids: filters.groups,
    currency: filters.currency,
    compare: filters.compare,
    until_hour: until,
    lfl: filters.lfl,
    constant_currency: filters.constantCurrency && filters.compare !== "none",
    footfall_estimates: filters.estimates,
  };
}

/** The report parameters a URL's query string selects (what useReportParams gives on that page):
 * the first load asks for a page's figures with them before the page's code has arrived. */
export function reportParamsFor(search: URLSearchParams): ReportParams {
  const filters = parseFilters(search);
  const range = selectedRange(filters);
  return toReportParams(filters, range, untilHour(range));
}

/** The report parameters the page's URL filters select. */
export function useReportParams(): ReportParams {
  const { filters, range } = useFilters();
  const until = untilHour(range);
  return useMemo(() => toReportParams(filters, range, until), [range, filters, until]);
}

/** The query string form of the parameters (what openapi-fetch and the export URLs send). */
export function reportQuery(params: ReportParams, compare: Compare = params.compare) {
  // Like-for-like needs the comparison to know which stores traded on both days: a breakdown or
  // heatmap, asked without one, keeps the page's comparison then, so its rows are the same stores'.
  const lfl = params.lfl && params.compare !== "none";
  return {
    date_from: params.date_from,
    date_to: params.date_to,
    compare: lfl ? params.compare : compare,
    ...(params.location_ids.length ? { location_ids: [params.location_ids.join(",")] } : {}),
    ...(params.group_ids.length ? { group_ids: [params.group_ids.join(",")] } : {}),
    ...(params.currency ? { currency: params.currency } : {}),
    ...(lfl ? { lfl: true } : {}),
    ...(params.constant_currency && compare !== "none" ? { constant_currency: true } : {}),
    ...(params.footfall_estimates ? { footfall_estimates: "include" as const } : {}),
  };
}

export const reportKeys = {
  all: ["reports"] as const,
  summary: (p: ReportParams) => [...reportKeys.all, "summary", p] as const,
  timeseries: (p: ReportParams, g: Granularity) => [...reportKeys.all, "timeseries", g, p] as const,
  breakdown: (p: ReportParams, by: BreakdownBy) => [...reportKeys.all, "breakdown", by, p] as const,
  heatmap: (p: ReportParams) => [...reportKeys.all, "heatmap", p] as const,
};

/** While a report says some of its stores are being recalculated after a settings change, it is
 * asked for again every few seconds, so the figures and the notice move on their own. */
function whileRecalculating(query: { state: { data?: { recalculating?: unknown[] } } }): number | false {
  return query.state.data?.recalculating?.length ? RECALCULATION_POLL_MS : false;
}

export async function fetchSummary(params: ReportParams): Promise<Summary> {
  const query = {
    ...reportQuery(params),
    ...(params.until_hour ? { until_hour: params.until_hour } : {}),
  };
  return unwrap(await api.GET("/reports/summary", { params: { query } }));
}

export function summaryQuery(params: ReportParams) {
  return queryOptions({ queryKey: reportKeys.summary(params), queryFn: () => fetchSummary(params) });
}

export function useSummary(params: ReportParams) {
  return useQuery({
    ...summaryQuery(params),
    // Changing a filter keeps the old figures on screen (dimmed) until the new ones arrive.
    placeholderData: keepPreviousData,
    refetchInterval: whileRecalculating,
  });
}

/** The bucket size that keeps a trend readable: hours for a day, days up to ~3 months, ... */
export function granularityFor(days: number): Granularity {
  if (days <= 1) return "hour";
  if (days <= 92) return "day";
  if (days <= 731) return "week";
  return "month";
}

export function timeseriesQuery(params: ReportParams, granularity: Granularity) {
  return queryOptions({
    queryKey: reportKeys.timeseries(params, granularity),
    queryFn: async () =>
      unwrap(
        await api.GET("/reports/timeseries", {
          params: {
            query: {
              ...reportQuery(params),
              granularity,
              // "So far today", as the summary: the last day's comparison up to the same hour.
              ...(params.until_hour && granularity !== "hour" ? { until_hour: params.until_hour } : {}),
            },
          },
        }),
      ),
  });
}

export function useTimeseries(params: ReportParams, granularity: Granularity) {
  return useQuery({
    ...timeseriesQuery(params, granularity),
    placeholderData: keepPreviousData,
    refetchInterval: whileRecalculating,
  });
}

/** A breakdown; `compared`: each row with its figures in the filters' comparison (the report
 * tables), else none, which spares the server the work (the dashboard's league table). */
export function breakdownQuery(params: ReportParams, by: BreakdownBy, compared = false) {
  const compare = compared ? params.compare : "none";
  return queryOptions({
    queryKey: reportKeys.breakdown({ ...params, compare }, by),
    queryFn: async () =>
      unwrap(
        await api.GET("/reports/breakdown", {
          params: { query: { ...reportQuery(params, compare), by } },
        }),
      ),
  });
}

export function useBreakdown(params: ReportParams, by: BreakdownBy, enabled = true, compared = false) {
  return useQuery({
    ...breakdownQuery(params, by, compared),
    enabled,
    placeholderData: keepPreviousData,
    refetchInterval: whileRecalculating,
  });
}

export function heatmapQuery(params: ReportParams) {
  return queryOptions({
    queryKey: reportKeys.heatmap(params),
    queryFn: async () =>
      unwrap(await api.GET("/reports/heatmap", { params: { query: reportQuery(params, "none") } })),
  });
}

export function useHeatmap(params: ReportParams) {
  return useQuery({
    ...heatmapQuery(params),
    placeholderData: keepPreviousData,
    refetchInterval: whileRecalculating,
  });
}
