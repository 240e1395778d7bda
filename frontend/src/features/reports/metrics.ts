// The metrics of shared/METRICS.md as the UI shows them: labels, how each is formatted, coloured
// and sorted. Labels, kinds and directions come from the backend's catalog (GET /reports/catalog,
// registered by CatalogGate); the figures themselves come from the API (one implementation,
// app/reports/metrics.py); nothing here computes a metric.
import { catalogMetric, METRIC_NAMES } from "@/features/catalog/registry";
import { compareDecimal, isNegativeDecimal } from "@/lib/decimal";
import { formatChange, formatMoney, formatNumber, formatPercent, numberFormat, userLocale } from "@/lib/format";

export type MetricValue = string | number | null | undefined;
export type MetricValues = Record<string, MetricValue>;

export type Kind = "money" | "count" | "ratio" | "percent";

const KINDS: ReadonlySet<string> = new Set<Kind>(["money", "count", "ratio", "percent"]);

/** A metric's API name. Any name the catalog declares: a new one needs no change here. */
export type MetricName = string;

/** Every metric, in the order of METRICS.md (the catalog's), filled when the catalog is registered. */
export { METRIC_NAMES };

/** A name the catalog does not know, made readable: "sales_per_hour" -> "Sales per hour". */
function readable(name: string): string {
  const words = name.replace(/_/g, " ").trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : name;
}

/** A metric's label, or its short label where space is tight (KPI cards, table headers). */
export function metricLabel(name: string, short = false): string {
  const info = catalogMetric(name);
  if (!info) return readable(name);
  return (short && info.short_label) || info.label;
}

export function metricKind(name: string): Kind {
  const kind = catalogMetric(name)?.kind;
  return kind && KINDS.has(kind) ? (kind as Kind) : "count";
}

/** Whether a rise of the metric is good news; null where it is neither (tax) or not known. */
export function metricUpIsGood(name: string): boolean | null {
  return catalogMetric(name)?.up_is_good ?? null;
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

/** A percentage's change in points ("+2.1 pts"), from the two figures as shown. */
export function formatPoints(now: MetricValue, before: MetricValue, locale: string = userLocale()): string {
  if (now === null || now === undefined || before === null || before === undefined) return NO_FIGURE;
  // Shown to one decimal of a percent, so the points are the difference of what is shown.
  const points = Math.round(Number(now) * 1000) / 10 - Math.round(Number(before) * 1000) / 10;
  const rounded = Math.round(points * 10) / 10;
  const text = numberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
    Math.abs(rounded),
  );
  return `${rounded > 0 ? "+" : rounded < 0 ? "−" : "±"}${text} pts`;
}

/** How a metric's change reads: a percentage (conversion) moves in points, everything else by a
 * percentage of the comparison ("+4.2%"). */
export function formatMetricMove(
  name: string,
  change: number | null | undefined,
  now: MetricValue,
  before: MetricValue,
  locale: string = userLocale(),
): string {
  if (metricKind(name) === "percent") return formatPoints(now, before, locale);
  return formatMetricChange(change, locale);
}

export type Direction = "up" | "down" | "flat" | "none";

export function changeDirection(change: number | null | undefined): Direction {
  if (change === null || change === undefined) return "none";
  if (change > 0) return "up";
  if (change < 0) return "down";
  return "flat";
}

/** Whether a change is good news for its metric: a rise of returns is bad, of tax neither. */
export type Tone = "good" | "bad" | "neutral";

export function changeTone(name: string, change: number | null | undefined): Tone {
  const direction = changeDirection(change);
  const upIsGood = metricUpIsGood(name);
  if (upIsGood === null || (direction !== "up" && direction !== "down")) return "neutral";
  return (direction === "up") === upIsGood ? "good" : "bad";
}

/** The colour a change is written in: green good news, red bad news, grey neither. */
export const TONE_COLORS: Record<Tone, string> = { good: "teal.9", bad: "red.9", neutral: "gray.7" };

export function changeColor(name: string, change: number | null | undefined): string {
  return TONE_COLORS[changeTone(name, change)];
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

/**
 * Whether a metric's rows add up to its total — the money measures and the counts — so that a
 * table may add it up over the rows a search leaves (the averages and rates never are).
 */
export function metricAddsUp(name: string): boolean {
  const info = catalogMetric(name);
  return info !== undefined && (info.additive || info.kind === "count");
}

/**
 * The rule for averages below zero (issue #23, point 6). ATV, UPT and sales per visitor average a
 * row's net sales or units over its sales; where the row's returns exceeded its sales (an hour in
 * which a big return came back and one small sale was made) METRICS.md's definition gives a
 * negative figure — "ATV −£26.60" — which no manager reads as an average sale. The API and the
 * workbook keep the figure (one definition); the page shows it as the absent mark, with a note
 * saying why (`RETURNS_EXCEEDED_SALES`).
 */
export function returnsExceededSales(name: string, value: MetricValue): boolean {
  if (value === null || value === undefined || value === "" || metricAddsUp(name)) return false;
  return typeof value === "string" ? isNegativeDecimal(value) : value < 0;
}

export const RETURNS_EXCEEDED_SALES = "Returns exceeded sales";
