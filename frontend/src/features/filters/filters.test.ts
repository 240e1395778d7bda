import { describe, expect, it } from "vitest";

import { comparisonRange, dayCount, presetRange } from "@/features/filters/dateRange";
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

  it("is absent with no comparison", () => {
    expect(comparisonRange(week, "none")).toBeNull();
  });
});

describe("filters in the URL", () => {
  it("round-trips every filter and keeps other parameters", () => {
    const filters = {
      preset: "custom" as const,
      custom: { from: "2025-11-01", to: "2025-11-30" },
      stores: [3, 7],
      compare: "previous_year" as const,
      currency: "EUR",
      constantCurrency: true,
    };
    const params = writeFilters(filters, new URLSearchParams("tab=items"));
    expect(params.toString()).toBe(
      "tab=items&range=custom&from=2025-11-01&to=2025-11-30&stores=3%2C7&compare=previous_year&currency=EUR&constant_currency=true",
    );
    expect(parseFilters(params)).toEqual(filters);
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
