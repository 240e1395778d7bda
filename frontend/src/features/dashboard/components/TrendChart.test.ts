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
    expect(rows[14]).toEqual({ bucket: "14:00", value: 10, comparison: 12 });
    expect(rows.slice(15).map((r) => r.value)).toEqual(Array(9).fill(null));
    // The comparison day happened in full: its line goes on.
    expect(rows.slice(15).every((r) => r.comparison === 12)).toBe(true);
  });

  it("draws a past day whole", () => {
    expect(chartRows(hours("2026-12-05"), "2026-12-06T14:00").every((r) => r.value !== null)).toBe(true);
  });

  it("leaves a gap where a footfall figure is missing, rather than drawing it as 0", () => {
    const data = hours("2026-12-05");
    data.points = data.points.map((p, h) => ({
      ...p,
      metrics: { ...p.metrics, conversion_rate: h % 2 ? "0.2500" : null },
      comparison_metrics: { ...p.comparison_metrics, conversion_rate: null },
    }));
    const rows = chartRows(data, undefined, "conversion_rate");
    expect(rows.slice(0, 4).map((r) => r.value)).toEqual([null, 0.25, null, 0.25]);
    expect(rows.every((r) => r.comparison === null)).toBe(true);
    // Net sales without sales is £0, not a gap.
    data.points[0] = { ...data.points[0]!, metrics: { net_sales: null } };
    expect(chartRows(data)[0]?.value).toBe(0);
  });
});
