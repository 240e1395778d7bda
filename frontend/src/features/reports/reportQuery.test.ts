import { describe, expect, it } from "vitest";

import { type ReportParams, reportQuery } from "@/features/reports/api";

const params: ReportParams = {
  date_from: "2026-11-01",
  date_to: "2026-11-14",
  location_ids: [],
  group_ids: [7, 3],
  currency: null,
  compare: "previous_period",
  lfl: false,
};

describe("reportQuery", () => {
  it("sends the store groups", () => {
    expect(reportQuery(params)).toEqual({
      date_from: "2026-11-01",
      date_to: "2026-11-14",
      compare: "previous_period",
      group_ids: ["7,3"],
    });
  });

  it("asks breakdowns like-for-like with the page's comparison, and never without one", () => {
    expect(reportQuery({ ...params, lfl: true }, "none")).toMatchObject({ compare: "previous_period", lfl: true });
    expect(reportQuery({ ...params, lfl: false }, "none")).toMatchObject({ compare: "none" });
    expect(reportQuery({ ...params, lfl: true, compare: "none" })).not.toHaveProperty("lfl");
  });
});
