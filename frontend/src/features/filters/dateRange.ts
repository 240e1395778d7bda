// Date-range presets and comparison periods, on calendar dates (ISO yyyy-mm-dd).
// Comparisons follow METRICS.md and the API (app/reports/request.py): previous_period = the same
// number of days just before the range; previous_week = 7 days earlier; previous_month and
// previous_year_dates = the same dates a month or a year before (a month's last day against the
// earlier month's last day); previous_year = 364 days earlier, so Monday compares with Monday.

export const PRESETS = [
  "today",
  "yesterday",
  "this_week",
  "last_week",
  "this_month",
  "last_month",
  "last_7_days",
  "last_28_days",
  "last_90_days",
  "this_year",
  "custom",
] as const;
export type Preset = (typeof PRESETS)[number];

export const PRESET_LABELS: Record<Preset, string> = {
  today: "Today",
  yesterday: "Yesterday",
  this_week: "This week",
  last_week: "Last week",
  this_month: "This month",
  last_month: "Last month",
  last_7_days: "Last 7 days",
  last_28_days: "Last 28 days",
  last_90_days: "Last 90 days",
  this_year: "This year",
  custom: "Custom range",
};

export const COMPARES = [
  "previous_period",
  "previous_week",
  "previous_month",
  "previous_year",
  "previous_year_dates",
  "none",
] as const;
export type Compare = (typeof COMPARES)[number];

export const COMPARE_LABELS: Record<Compare, string> = {
  previous_period: "Previous period",
  previous_week: "Same days last week",
  previous_month: "Same dates last month",
  previous_year: "Same weekdays last year",
  previous_year_dates: "Same dates last year",
  none: "No comparison",
};

/** What a preset compares with unless the user picks otherwise, as Square Dashboard does: a week
 * so far against the same days of last week, a month against the same dates of last month, the
 * year to date against the same dates last year, a day or rolling range against the days just
 * before. */
export function defaultCompare(preset: Preset): Compare {
  switch (preset) {
    case "this_week":
    case "last_week":
      return "previous_week";
    case "this_month":
    case "last_month":
      return "previous_month";
    case "this_year":
      return "previous_year_dates";
    default:
      return "previous_period";
  }
}

export type DateRange = { from: string; to: string };

const DAY_MS = 86_400_000;

/** A Date at UTC midnight for an ISO date; all arithmetic is done in UTC to avoid DST shifts. */
export function parseDate(iso: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) throw new Error(`not an ISO date: ${iso}`);
  return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
}

export function toIso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function isIsoDate(value: string | null | undefined): value is string {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  return toIso(parseDate(value)) === value;
}

export function addDays(iso: string, days: number): string {
  return toIso(new Date(parseDate(iso).getTime() + days * DAY_MS));
}

/** Today's calendar date where the browser is. */
export function localToday(now: Date = new Date()): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, "0");
  const d = String(now.getDate()).padStart(2, "0");
  return `${y}-${m}-${d}`;
}

function startOfWeek(iso: string): string {
  // Weeks start on Monday (ISO 8601), as retail weeks do in our markets.
  const weekday = (parseDate(iso).getUTCDay() + 6) % 7;
  return addDays(iso, -weekday);
}

function startOfMonth(iso: string): string {
  return `${iso.slice(0, 7)}-01`;
}

/** The range a preset stands for on `today`; "last N days" are the N full days before today. */
export function presetRange(preset: Exclude<Preset, "custom">, today: string): DateRange {
  const yesterday = addDays(today, -1);
  switch (preset) {
    case "today":
      return { from: today, to: today };
    case "yesterday":
      return { from: yesterday, to: yesterday };
    case "this_week":
      return { from: startOfWeek(today), to: today };
    case "last_week": {
      const from = addDays(startOfWeek(today), -7);
      return { from, to: addDays(from, 6) };
    }
    case "this_month":
      return { from: startOfMonth(today), to: today };
    case "last_month": {
      const to = addDays(startOfMonth(today), -1);
      return { from: startOfMonth(to), to };
    }
    case "last_7_days":
      return { from: addDays(today, -7), to: yesterday };
    case "last_28_days":
      return { from: addDays(today, -28), to: yesterday };
    case "last_90_days":
      return { from: addDays(today, -90), to: yesterday };
    case "this_year":
      return { from: `${today.slice(0, 4)}-01-01`, to: today };
  }
}

export function dayCount(range: DateRange): number {
  return Math.round((parseDate(range.to).getTime() - parseDate(range.from).getTime()) / DAY_MS) + 1;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The same date `months` earlier (past the end of a shorter month, its last day; a month's last
 * day gives the earlier month's last day), as the API computes it. */
export function monthsBack(iso: string, months: number): string {
  const date = parseDate(iso);
  const total = date.getUTCFullYear() * 12 + date.getUTCMonth() - months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = daysInMonth(year, month);
  const wasLast = date.getUTCDate() === daysInMonth(date.getUTCFullYear(), date.getUTCMonth() + 1);
  const day = wasLast ? last : Math.min(date.getUTCDate(), last);
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** The comparison period for a range, or null for no comparison. */
export function comparisonRange(range: DateRange, compare: Compare): DateRange | null {
  switch (compare) {
    case "none":
      return null;
    case "previous_year":
      return { from: addDays(range.from, -364), to: addDays(range.to, -364) };
    case "previous_week":
      return { from: addDays(range.from, -7), to: addDays(range.to, -7) };
    case "previous_month":
      return { from: monthsBack(range.from, 1), to: monthsBack(range.to, 1) };
    case "previous_year_dates":
      return { from: monthsBack(range.from, 12), to: monthsBack(range.to, 12) };
    case "previous_period": {
      const days = dayCount(range);
      return { from: addDays(range.from, -days), to: addDays(range.from, -1) };
    }
  }
}

/** "So far today": for a range that ends today (and is short enough for the API to cut), the
 * local clock hour up to which its last day — and the comparison's — count: at 14:37, 15. */
export function untilHour(range: DateRange, now: Date = new Date()): number | null {
  if (range.to !== localToday(now) || dayCount(range) > 31) return null;
  return now.getHours() + 1;
}

/** The start of the current local hour as a series point's `start` reads ("2026-12-06T14:00"):
 * later points have not happened yet. */
export function localHourStart(now: Date = new Date()): string {
  return `${localToday(now)}T${String(now.getHours()).padStart(2, "0")}:00`;
}
