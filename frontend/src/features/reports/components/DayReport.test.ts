import { describe, expect, it } from "vitest";

import { bucketLabel, seriesRows } from "@/features/reports/components/DayReport";
import { metrics, timeseries } from "@/test/reportFixtures";

describe("By day rows", () => {
  it("names days, weeks and months as a manager reads them", () => {
    expect(bucketLabel("2026-10-27", "day", "en-GB")).toBe("Tue, 27 Oct 2026");
    expect(bucketLabel("2026-10-26", "week", "en-GB")).toBe("Week of 26 Oct 2026");
    expect(bucketLabel("2026-10-01", "month", "en-GB")).toBe("October 2026");
  });

  it("keeps each bucket's figures, comparison and change as the API sent them", () => {
    const point = { start: "2026-01-07", metrics: metrics(), comparison_metrics: metrics({ net_sales: "1000.00" }), change: { net_sales: 0.2 } };
    const [row] = seriesRows({ ...timeseries, points: [point] }, "day", "en-GB");
    expect(row).toEqual({
      key: "2026-01-07",
      label: "Wed, 7 Jan 2026",
      metrics: point.metrics,
      comparison: point.comparison_metrics,
      change: { net_sales: 0.2 },
    });
  });
});
