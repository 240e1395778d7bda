// The shared report filters and their URL form, so a view can be bookmarked, shared and reloaded.
// Defaults are left out of the URL.
import {
  type Compare,
  COMPARES,
  type DateRange,
  defaultCompare,
  isIsoDate,
  localToday,
  type Preset,
  PRESETS,
  presetRange,
} from "@/features/filters/dateRange";

export type Filters = {
  preset: Preset;
  /** Only for the custom preset. */
  custom: DateRange | null;
  /** Selected location ids; empty means every store the user may see. */
  stores: number[];
  /** Selected store groups (areas, regions); empty means no group filter. */
  groups: number[];
  compare: Compare;
  /** Like-for-like: only stores that traded on both the day and its comparison day. */
  lfl: boolean;
  /** ISO 4217 code; null means the organization's reporting currency. */
  currency: string | null;
  /** Constant currency: the comparison at the period's exchange rates (needs a comparison). */
  constantCurrency: boolean;
  /** Estimated footfall counted in footfall and conversion (the report API's
   * footfall_estimates=include); off: only days with a footfall entry count. */
  estimates: boolean;
};

export const DEFAULT_FILTERS: Filters = {
  preset: "last_7_days",
  custom: null,
  stores: [],
  groups: [],
  compare: "previous_period",
  lfl: false,
  currency: null,
  constantCurrency: false,
  estimates: false,
};

function ids(value: string | null): number[] {
  const parsed = (value ?? "")
    .split(",")
    .map((s) => Number(s))
    .filter((n) => Number.isInteger(n) && n > 0);
  return [...new Set(parsed)].sort((a, b) => a - b);
}

export function parseFilters(params: URLSearchParams): Filters {
  const presetParam = params.get("range");
  let preset = PRESETS.includes(presetParam as Preset)
    ? (presetParam as Preset)
    : DEFAULT_FILTERS.preset;
  let custom: DateRange | null = null;
  if (preset === "custom") {
    const from = params.get("from");
    const to = params.get("to");
    if (isIsoDate(from) && isIsoDate(to)) {
      custom = from <= to ? { from, to } : { from: to, to: from };
    } else {
      preset = DEFAULT_FILTERS.preset;
    }
  }
  const compareParam = params.get("compare");
  const compare = COMPARES.includes(compareParam as Compare)
    ? (compareParam as Compare)
    : defaultCompare(preset);
  const currencyParam = params.get("currency");
  const currency =
    currencyParam && /^[A-Za-z]{3}$/.test(currencyParam) ? currencyParam.toUpperCase() : null;
  // Like-for-like compares: without a comparison it means nothing and is left off.
  const lfl = params.get("lfl") === "1" && compare !== "none";
  const constantCurrency = params.get("constant_currency") === "true";
  const estimates = params.get("footfall_estimates") === "include";
  return {
    preset,
    custom,
    stores: ids(params.get("stores")),
    groups: ids(params.get("groups")),
    compare,
    lfl,
    currency,
    constantCurrency,
    estimates,
  };
}

/** Writes the filters into `params`, keeping any other parameters the page uses. */
export function writeFilters(filters: Filters, params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const key of ["range", "from", "to", "stores", "groups", "compare", "lfl", "currency", "constant_currency", "footfall_estimates"]) {
    next.delete(key);
  }
  if (filters.preset !== DEFAULT_FILTERS.preset) next.set("range", filters.preset);
  if (filters.preset === "custom" && filters.custom) {
    next.set("from", filters.custom.from);
    next.set("to", filters.custom.to);
  }
  if (filters.stores.length) next.set("stores", filters.stores.join(","));
  if (filters.groups.length) next.set("groups", filters.groups.join(","));
  if (filters.compare !== defaultCompare(filters.preset)) next.set("compare", filters.compare);
  if (filters.lfl && filters.compare !== "none") next.set("lfl", "1");
  if (filters.currency) next.set("currency", filters.currency);
  if (filters.constantCurrency) next.set("constant_currency", "true");
  if (filters.estimates) next.set("footfall_estimates", "include");
  return next;
}

/** The dates the filters select on `today`. */
export function selectedRange(filters: Filters, today: string = localToday()): DateRange {
  if (filters.preset === "custom") return filters.custom ?? presetRange("last_7_days", today);
  return presetRange(filters.preset, today);
}
