// The sales trend, drawn with @mantine/charts (recharts). This module is loaded lazily so the
// chart library stays out of the first page's JavaScript.
import "@mantine/charts/styles.css";

import { LineChart } from "@mantine/charts";

import type { Granularity, Timeseries } from "@/features/reports/api";
import { metricLabel } from "@/features/reports/metrics";
import { formatMoney, userLocale } from "@/lib/format";

type Props = {
  data: Timeseries;
  compareLabel: string | null;
  height?: number;
  /** Points starting after this (a local "yyyy-mm-ddThh:00", or a date) have not happened yet:
   * the period's line stops there instead of dropping to 0; the comparison's goes on. */
  until?: string;
};

/** A bucket's label: "14:00" for hours, "18 Nov" for days, "w/c 16 Nov" for weeks, "Nov 2026". */
export function bucketLabel(start: string, granularity: Granularity, locale: string = userLocale()): string {
  if (granularity === "hour") return start.slice(11, 16) || start;
  const date = new Date(`${start.slice(0, 10)}T00:00:00Z`);
  if (granularity === "month") {
    return new Intl.DateTimeFormat(locale, { month: "short", year: "numeric", timeZone: "UTC" }).format(date);
  }
  const day = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" }).format(date);
  return granularity === "week" ? `w/c ${day}` : day;
}

export type ChartRow = { bucket: string; net_sales: number | null; comparison?: number };

/** The chart's points: net sales per bucket, and the comparison's; buckets after `until` have
 * not happened yet, so the period's line has no point there (not £0). */
export function chartRows(data: Timeseries, until?: string): ChartRow[] {
  // Plotting needs numbers; the figures shown in text elsewhere stay decimal strings.
  return data.points.map((point) => ({
    bucket: bucketLabel(point.start, data.granularity),
    net_sales: until !== undefined && point.start > until ? null : Number(point.metrics.net_sales ?? 0),
    ...(point.comparison_metrics ? { comparison: Number(point.comparison_metrics.net_sales ?? 0) } : {}),
  }));
}

export default function TrendChart({ data, compareLabel, height = 280, until }: Props) {
  const currency = data.currency;
  const rows = chartRows(data, until);
  const series = [
    { name: "net_sales", label: metricLabel("net_sales"), color: "indigo.7" },
    ...(compareLabel && data.comparison ? [{ name: "comparison", label: compareLabel, color: "gray.6", strokeDasharray: "5 5" }] : []),
  ];
  const compact = new Intl.NumberFormat(userLocale(), {
    style: "currency",
    currency,
    notation: "compact",
    maximumFractionDigits: 1,
  });
  return (
    <LineChart
      h={height}
      data={rows}
      dataKey="bucket"
      series={series}
      curveType="monotone"
      withLegend
      legendProps={{ verticalAlign: "bottom" }}
      withDots={rows.length <= 31}
      valueFormatter={(value) => formatMoney(value, currency)}
      yAxisProps={{ tickFormatter: (value: number) => compact.format(value), width: 72 }}
      gridAxis="y"
      lineProps={{ isAnimationActive: false }}
    />
  );
}
