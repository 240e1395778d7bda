import { describe, expect, it } from "vitest";

import { chartRows } from "@/features/dashboard/components/TrendChart";
import type { Timeseries } from "@/features/reports/api";

function hours(day: string): Timeseries {
  return {
    currency: "GBP",
    granularity: "hour",
    date_from: day,
    date_to: day,
    comparison: null,
    rates: { source: "ecb", pairs: [], newest_rate_date: null, stale: false } as unknown as Timeseries["rates"],
    recalculating: [],
    points: Array.from({ length: 24 }, (_, h) => ({
      start: `${day}T${String(h).padStart(2, "0")}:00`,
      metrics: { net_sales: h < 15 ? "10.00" : "0.00" },
      comparison_metrics: { net_sales: "12.00" },
    })),
  };
}

describe("the trend's points", () => {
  it("stops today's line at the current hour instead of drawing the hours to come as 0", () => {
    const rows = chartRows(hours("2026-12-06"), "2026-12-06T14:00");
    expect(rows[14]).toEqual({ bucket: "14:00", net_sales: 10, comparison: 12 });
    expect(rows.slice(15).map((r) => r.net_sales)).toEqual(Array(9).fill(null));
    // The comparison day happened in full: its line goes on.
    expect(rows.slice(15).every((r) => r.comparison === 12)).toBe(true);
  });

  it("draws a past day whole", () => {
    expect(chartRows(hours("2026-12-05"), "2026-12-06T14:00").every((r) => r.net_sales !== null)).toBe(true);
  });
});
