import { describe, expect, it } from "vitest";

import {
  comparisonRange,
  dayCount,
  defaultCompare,
  monthsBack,
  presetRange,
  untilHour,
} from "@/features/filters/dateRange";
import { DEFAULT_FILTERS, parseFilters, selectedRange, writeFilters } from "@/features/filters/filterParams";

// Wednesday 14 January 2026.
const TODAY = "2026-01-14";

describe("presetRange", () => {
  it.each([
    ["today", "2026-01-14", "2026-01-14"],
    ["yesterday", "2026-01-13", "2026-01-13"],
    ["this_week", "2026-01-12", "2026-01-14"],
    ["last_week", "2026-01-05", "2026-01-11"],
    ["this_month", "2026-01-01", "2026-01-14"],
    ["last_month", "2025-12-01", "2025-12-31"],
    ["last_7_days", "2026-01-07", "2026-01-13"],
    ["last_28_days", "2025-12-17", "2026-01-13"],
    ["last_90_days", "2025-10-16", "2026-01-13"],
    ["this_year", "2026-01-01", "2026-01-14"],
  ] as const)("%s is %s to %s", (preset, from, to) => {
    expect(presetRange(preset, TODAY)).toEqual({ from, to });
  });

  it("counts whole days for the rolling presets", () => {
    expect(dayCount(presetRange("last_28_days", TODAY))).toBe(28);
    expect(dayCount(presetRange("last_90_days", TODAY))).toBe(90);
  });

  it("handles a Sunday and a leap-year March", () => {
    expect(presetRange("this_week", "2026-01-18")).toEqual({ from: "2026-01-12", to: "2026-01-18" });
    expect(presetRange("last_month", "2024-03-10")).toEqual({ from: "2024-02-01", to: "2024-02-29" });
  });
});

describe("comparisonRange", () => {
  const week = { from: "2026-01-05", to: "2026-01-11" };

  it("takes the same number of days just before for the previous period", () => {
    expect(comparisonRange(week, "previous_period")).toEqual({ from: "2025-12-29", to: "2026-01-04" });
  });

  it("goes 364 days back for the previous year, so weekdays line up", () => {
    const last = comparisonRange(week, "previous_year");
    expect(last).toEqual({ from: "2025-01-06", to: "2025-01-12" });
    expect(new Date(`${last?.from}T00:00:00Z`).getUTCDay()).toBe(new Date(`${week.from}T00:00:00Z`).getUTCDay());
  });

  it("takes the same dates a month or a year before, month ends to month ends", () => {
    expect(comparisonRange({ from: "2026-01-01", to: "2026-01-14" }, "previous_month")).toEqual({
      from: "2025-12-01",
      to: "2025-12-14",
    });
    expect(comparisonRange({ from: "2026-03-01", to: "2026-03-31" }, "previous_month")).toEqual({
      from: "2026-02-01",
      to: "2026-02-28",
    });
    expect(monthsBack("2026-03-30", 1)).toBe("2026-02-28");
    expect(monthsBack("2028-02-29", 12)).toBe("2027-02-28");
    expect(comparisonRange({ from: "2026-01-01", to: "2026-01-14" }, "previous_year_dates")).toEqual({
      from: "2025-01-01",
      to: "2025-01-14",
    });
  });

  it("takes a week so far against the same days of last week", () => {
    expect(comparisonRange(presetRange("this_week", TODAY), "previous_week")).toEqual({
      from: "2026-01-05",
      to: "2026-01-07",
    });
  });

  it("is absent with no comparison", () => {
    expect(comparisonRange(week, "none")).toBeNull();
  });
});

describe("what a preset compares with", () => {
  it.each([
    ["today", "previous_period"],
    ["this_week", "previous_week"],
    ["this_month", "previous_month"],
    ["last_month", "previous_month"],
    ["this_year", "previous_year_dates"],
    ["last_28_days", "previous_period"],
  ] as const)("%s compares with %s by default", (preset, compare) => {
    expect(defaultCompare(preset)).toBe(compare);
    expect(parseFilters(new URLSearchParams(`range=${preset}`)).compare).toBe(compare);
  });

  it("keeps a chosen comparison in the URL and leaves the preset's own out", () => {
    const month = { ...DEFAULT_FILTERS, preset: "this_month" as const, compare: "previous_month" as const };
    expect(writeFilters(month, new URLSearchParams()).toString()).toBe("range=this_month");
    const chosen = { ...month, compare: "previous_year" as const };
    expect(writeFilters(chosen, new URLSearchParams()).toString()).toBe("range=this_month&compare=previous_year");
  });

  it("cuts a range that ends today at the next hour, and no other", () => {
    const now = new Date(2026, 0, 14, 14, 37);
    expect(untilHour({ from: "2026-01-14", to: "2026-01-14" }, now)).toBe(15);
    expect(untilHour({ from: "2026-01-01", to: "2026-01-14" }, now)).toBe(15);
    expect(untilHour({ from: "2026-01-13", to: "2026-01-13" }, now)).toBeNull();
    expect(untilHour({ from: "2025-01-01", to: "2026-01-14" }, now)).toBeNull();
  });
});

describe("filters in the URL", () => {
  it("round-trips every filter and keeps other parameters", () => {
    const filters = {
      preset: "custom" as const,
      custom: { from: "2025-11-01", to: "2025-11-30" },
      stores: [3, 7],
      groups: [],
      compare: "previous_year" as const,
      lfl: false,
      currency: "EUR",
      constantCurrency: true,
      estimates: true,
    };
    const params = writeFilters(filters, new URLSearchParams("tab=items"));
    expect(params.toString()).toBe(
      "tab=items&range=custom&from=2025-11-01&to=2025-11-30&stores=3%2C7&compare=previous_year&currency=EUR&constant_currency=true&footfall_estimates=include",
    );
    expect(parseFilters(params)).toEqual(filters);
  });

  it("keeps store groups and like-for-like in the URL, like-for-like only with a comparison", () => {
    const filters = { ...DEFAULT_FILTERS, groups: [5, 2], lfl: true };
    const params = writeFilters(filters, new URLSearchParams());
    expect(params.toString()).toBe("groups=5%2C2&lfl=1");
    expect(parseFilters(params)).toEqual({ ...filters, groups: [2, 5] });
    const none = writeFilters({ ...filters, compare: "none" }, new URLSearchParams());
    expect(none.get("lfl")).toBeNull();
    expect(parseFilters(new URLSearchParams("compare=none&lfl=1")).lfl).toBe(false);
    expect(parseFilters(new URLSearchParams("groups=x,0,3")).groups).toEqual([3]);
  });

  it("leaves the defaults out of the URL", () => {
    expect(writeFilters(DEFAULT_FILTERS, new URLSearchParams()).toString()).toBe("");
    expect(parseFilters(new URLSearchParams())).toEqual(DEFAULT_FILTERS);
  });

  it("ignores values it does not understand", () => {
    const parsed = parseFilters(
      new URLSearchParams("range=fortnight&stores=1,x,-2,1&compare=yesterday&currency=pounds"),
    );
    expect(parsed).toEqual({ ...DEFAULT_FILTERS, stores: [1] });
  });

  it("falls back to the default range when a custom range is incomplete or impossible", () => {
    expect(parseFilters(new URLSearchParams("range=custom&from=2025-02-30&to=2025-03-01")).preset).toBe(
      "last_7_days",
    );
    const swapped = parseFilters(new URLSearchParams("range=custom&from=2025-03-10&to=2025-03-01"));
    expect(swapped.custom).toEqual({ from: "2025-03-01", to: "2025-03-10" });
  });

  it("selects the dates of the preset on the given day", () => {
    expect(selectedRange({ ...DEFAULT_FILTERS, preset: "yesterday" }, TODAY)).toEqual({
      from: "2026-01-13",
      to: "2026-01-13",
    });
  });
});
