// The metrics of shared/METRICS.md as the UI shows them: names, labels, how each is formatted and
// sorted. The figures themselves come from the API (one implementation, app/reports/metrics.py);
// nothing here computes a metric.
import { compareDecimal } from "@/lib/decimal";
import { formatChange, formatMoney, formatNumber, formatPercent, userLocale } from "@/lib/format";

export type MetricValue = string | number | null | undefined;
export type MetricValues = Record<string, MetricValue>;

type Kind = "money" | "count" | "ratio" | "percent";

type MetricInfo = { label: string; kind: Kind };

export const METRICS = {
  gross_sales: { label: "Gross sales", kind: "money" },
  returns: { label: "Returns", kind: "money" },
  discounts: { label: "Discounts & comps", kind: "money" },
  net_sales: { label: "Net sales", kind: "money" },
  gift_card_sales: { label: "Gift card sales", kind: "money" },
  tax: { label: "Tax", kind: "money" },
  additive_tax: { label: "Additive tax", kind: "money" },
  tips: { label: "Tips", kind: "money" },
  service_charges: { label: "Service charges", kind: "money" },
  refunds_by_amount: { label: "Refunds by amount", kind: "money" },
  rounding: { label: "Rounding", kind: "money" },
  total_collected: { label: "Total collected", kind: "money" },
  fees: { label: "Fees", kind: "money" },
  net_total: { label: "Net total", kind: "money" },
  transactions: { label: "Transactions", kind: "count" },
  units_sold: { label: "Units sold", kind: "count" },
  average_transaction_value: { label: "Average transaction value", kind: "money" },
  units_per_transaction: { label: "Units per transaction", kind: "ratio" },
  footfall: { label: "Footfall", kind: "count" },
  conversion_rate: { label: "Conversion rate", kind: "percent" },
  sales_per_visitor: { label: "Sales per visitor", kind: "money" },
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof METRICS;

/** Every metric, in the order of METRICS.md (the sales summary's rows). */
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** Short names where space is tight (KPI cards, table headers). */
export const SHORT_LABELS: Partial<Record<MetricName, string>> = {
  average_transaction_value: "ATV",
  units_per_transaction: "UPT",
  conversion_rate: "Conversion",
};

export function metricLabel(name: string, short = false): string {
  const info = (METRICS as Record<string, MetricInfo>)[name];
  if (!info) return name;
  return (short && SHORT_LABELS[name as MetricName]) || info.label;
}

export function metricKind(name: string): Kind {
  return (METRICS as Record<string, MetricInfo>)[name]?.kind ?? "count";
}

/** What an absent figure (a ratio with no denominator, footfall never entered) shows. */
export const NO_FIGURE = "—";

/** A metric's value for display: money in `currency` from its decimal string, ratios, counts. */
export function formatMetric(
  name: string,
  value: MetricValue,
  currency: string,
  locale: string = userLocale(),
): string {
  if (value === null || value === undefined || value === "") return NO_FIGURE;
  switch (metricKind(name)) {
    case "money":
      return formatMoney(value, currency, locale);
    case "percent":
      return formatPercent(Number(value), locale, 1);
    case "ratio":
      return formatNumber(Number(value), locale, 2);
    case "count": {
      const n = Number(value);
      // A team member's share of a split-tender order can make a count fractional.
      return Number.isInteger(n) ? formatNumber(n, locale) : formatNumber(n, locale, 2);
    }
  }
}

/** A change fraction ("+4.2%"), or the absent mark when the comparison was 0 or missing. */
export function formatMetricChange(change: number | null | undefined, locale: string = userLocale()): string {
  return change === null || change === undefined ? NO_FIGURE : formatChange(change, locale);
}

export type Direction = "up" | "down" | "flat" | "none";

export function changeDirection(change: number | null | undefined): Direction {
  if (change === null || change === undefined) return "none";
  if (change > 0) return "up";
  if (change < 0) return "down";
  return "flat";
}

/**
 * Orders two figures of one metric: money exactly on its decimal strings, the rest as numbers.
 * Absent figures go last whichever the direction, as the API's own sort does.
 */
export function compareMetric(a: MetricValue, b: MetricValue, direction: "asc" | "desc"): number {
  const absentA = a === null || a === undefined;
  const absentB = b === null || b === undefined;
  if (absentA || absentB) return absentA === absentB ? 0 : absentA ? 1 : -1;
  const order =
    typeof a === "string" && typeof b === "string" ? compareDecimal(a, b) : Number(a) - Number(b);
  return direction === "asc" ? order : -order;
}
