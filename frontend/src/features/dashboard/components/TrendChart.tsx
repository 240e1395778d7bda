// The trend (net sales, or a traffic figure beside it), drawn with @mantine/charts (recharts). This module is loaded lazily so the
// chart library stays out of the first page's JavaScript.
import "@mantine/charts/styles.css";

import { LineChart } from "@mantine/charts";

import type { Granularity, Timeseries } from "@/features/reports/api";
import { formatMetric, metricKind, metricLabel } from "@/features/reports/metrics";
import { dateFormat, numberFormat, userLocale } from "@/lib/format";

type Props = {
  data: Timeseries;
  compareLabel: string | null;
  /** The catalog metric drawn (net sales unless chosen otherwise). */
  metric?: string;
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
    return dateFormat(locale, { month: "short", year: "numeric", timeZone: "UTC" }).format(date);
  }
  const day = dateFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" }).format(date);
  return granularity === "week" ? `w/c ${day}` : day;
}

export type ChartRow = { bucket: string; value: number | null; comparison?: number | null };

function plotted(value: string | number | null | undefined, metric: string): number | null {
  // Net sales of a bucket without sales is £0; a footfall figure without counts is no figure
  // (a gap in the line, not a fall to 0).
  if (value === null || value === undefined || value === "") return metric === "net_sales" ? 0 : null;
  return Number(value);
}

/** The chart's points: the metric per bucket, and the comparison's; buckets after `until` have
 * not happened yet, so the period's line has no point there (not £0). */
export function chartRows(data: Timeseries, until?: string, metric = "net_sales"): ChartRow[] {
  // Plotting needs numbers; the figures shown in text elsewhere stay decimal strings.
  return data.points.map((point) => ({
    bucket: bucketLabel(point.start, data.granularity),
    value: until !== undefined && point.start > until ? null : plotted(point.metrics[metric], metric),
    ...(point.comparison_metrics ? { comparison: plotted(point.comparison_metrics[metric], metric) } : {}),
  }));
}

/** The y axis's ticks: compact money, whole percentages, compact counts. */
function tickFormatter(metric: string, currency: string): (value: number) => string {
  const locale = userLocale();
  switch (metricKind(metric)) {
    case "money": {
      const compact = numberFormat(locale, { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 });
      return (value) => compact.format(value);
    }
    case "percent": {
      const percent = numberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
      return (value) => percent.format(value);
    }
    default: {
      const compact = numberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
      return (value) => compact.format(value);
    }
  }
}

export default function TrendChart({ data, compareLabel, metric = "net_sales", height = 280, until }: Props) {
  const currency = data.currency;
  const rows = chartRows(data, until, metric);
  const series = [
    { name: "value", label: metricLabel(metric), color: "indigo.7" },
    ...(compareLabel && data.comparison ? [{ name: "comparison", label: compareLabel, color: "gray.6", strokeDasharray: "5 5" }] : []),
  ];
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
      valueFormatter={(value) => formatMetric(metric, value, currency)}
      yAxisProps={{ tickFormatter: tickFormatter(metric, currency), width: 72 }}
      gridAxis="y"
      lineProps={{ isAnimationActive: false }}
    />
  );
}
