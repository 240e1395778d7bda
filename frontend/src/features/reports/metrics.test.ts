import { describe, expect, it } from "vitest";

import {
  changeDirection,
  compareMetric,
  formatMetric,
  formatMetricChange,
  METRIC_NAMES,
  metricAddsUp,
  metricLabel,
  NO_FIGURE,
  returnsExceededSales,
} from "@/features/reports/metrics";

describe("formatMetric", () => {
  it("shows money from decimal strings in the report's currency and the user's locale", () => {
    expect(formatMetric("net_sales", "1234.50", "GBP", "en-GB")).toBe("£1,234.50");
    expect(formatMetric("average_transaction_value", "12.30", "EUR", "de-DE")).toBe("12,30\u00a0€");
    expect(formatMetric("net_sales", "1500", "JPY", "en-GB")).toBe("JP¥1,500");
    expect(formatMetric("returns", "-3.20", "GBP", "en-GB")).toBe("-£3.20");
  });

  it("shows counts, units per transaction and conversion as people read them", () => {
    expect(formatMetric("transactions", 12345, "GBP", "en-GB")).toBe("12,345");
    expect(formatMetric("transactions", 2.5, "GBP", "en-GB")).toBe("2.50");
    expect(formatMetric("units_per_transaction", 1.83333, "GBP", "en-GB")).toBe("1.83");
    expect(formatMetric("conversion_rate", 0.2375, "GBP", "en-GB")).toBe("23.8%");
    expect(formatMetric("footfall", 0, "GBP", "en-GB")).toBe("0");
  });

  it("shows an absent figure as absent, never as 0", () => {
    expect(formatMetric("conversion_rate", null, "GBP", "en-GB")).toBe(NO_FIGURE);
    expect(formatMetric("footfall", undefined, "GBP", "en-GB")).toBe(NO_FIGURE);
    expect(formatMetricChange(null, "en-GB")).toBe(NO_FIGURE);
  });
});

describe("change", () => {
  it("is signed, and says its direction", () => {
    expect(formatMetricChange(0.125, "en-GB")).toBe("+12.5%");
    expect(formatMetricChange(-0.034, "en-GB")).toBe("-3.4%");
    expect(changeDirection(0.125)).toBe("up");
    expect(changeDirection(-0.034)).toBe("down");
    expect(changeDirection(0)).toBe("flat");
    expect(changeDirection(null)).toBe("none");
  });
});

describe("compareMetric", () => {
  it("sorts money exactly on its strings and puts absent figures last both ways", () => {
    const values = ["9.99", null, "10.00", "-2.50", "100.01"];
    expect([...values].sort((a, b) => compareMetric(a, b, "desc"))).toEqual(["100.01", "10.00", "9.99", "-2.50", null]);
    expect([...values].sort((a, b) => compareMetric(a, b, "asc"))).toEqual(["-2.50", "9.99", "10.00", "100.01", null]);
  });

  it("sorts ratios as numbers", () => {
    expect([0.2, null, 0.05, 1].sort((a, b) => compareMetric(a, b, "asc"))).toEqual([0.05, 0.2, 1, null]);
  });
});

describe("metric names", () => {
  it("follow METRICS.md, with labels for every one", () => {
    expect(METRIC_NAMES).toContain("sales_per_visitor");
    expect(METRIC_NAMES.indexOf("gross_sales")).toBeLessThan(METRIC_NAMES.indexOf("net_sales"));
    expect(metricLabel("average_transaction_value", true)).toBe("ATV");
    expect(metricLabel("discounts")).toBe("Discounts & comps");
  });
});

describe("returnsExceededSales", () => {
  it("flags an average below zero, never a figure that adds up or an absent one", () => {
    expect(returnsExceededSales("average_transaction_value", "-26.60")).toBe(true);
    expect(returnsExceededSales("units_per_transaction", -8)).toBe(true);
    expect(returnsExceededSales("average_transaction_value", "12.00")).toBe(false);
    expect(returnsExceededSales("average_transaction_value", null)).toBe(false);
    expect(returnsExceededSales("net_sales", "-26.60")).toBe(false);
    expect(returnsExceededSales("units_sold", -8)).toBe(false);
    expect(metricAddsUp("net_sales") && metricAddsUp("transactions")).toBe(true);
    expect(metricAddsUp("average_transaction_value") || metricAddsUp("conversion_rate")).toBe(false);
  });
});
