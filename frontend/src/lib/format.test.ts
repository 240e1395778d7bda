import { describe, expect, it } from "vitest";

import { ApiError } from "@/lib/api";
import { formatChange, formatDateRange, formatMoney, formatNumber, formatPercent, plural } from "@/lib/format";

describe("formatting", () => {
  it("formats money in the given currency and locale from decimal strings", () => {
    expect(formatMoney("1234.5", "GBP", "en-GB")).toBe("£1,234.50");
    expect(formatMoney("1234.5", "EUR", "de-DE")).toBe("1.234,50\u00a0€");
    expect(formatMoney(1000, "JPY", "en-GB")).toBe("JP¥1,000");
  });

  it("formats counts, percentages and signed changes", () => {
    expect(formatNumber(1234567, "en-GB")).toBe("1,234,567");
    expect(formatNumber(2.345, "en-GB", 2)).toBe("2.35");
    expect(formatPercent(0.125, "en-GB")).toBe("12.5%");
    expect(formatChange(0.042, "en-GB")).toBe("+4.2%");
    expect(formatChange(-0.01, "en-GB")).toBe("-1.0%");
    expect(formatChange(0, "en-GB")).toBe("0.0%");
  });

  it("formats date ranges", () => {
    // ICU versions differ in the spaces around the dash.
    expect(formatDateRange("2026-01-05", "2026-01-11", "en-GB").replace(/\s/g, "")).toBe("5–11Jan2026");
    expect(formatDateRange("2025-12-29", "2026-01-04", "en-GB")).toMatch(/^29 Dec 2025\s–\s4 Jan 2026$/);
    expect(formatDateRange("2026-01-05", "2026-01-05", "en-GB")).toBe("5 Jan 2026");
  });
});

describe("ApiError", () => {
  it("keeps the message of a plain error", () => {
    expect(new ApiError(403, "Only an owner can change an owner's role").message).toBe(
      "Only an owner can change an owner's role",
    );
  });

  it("names each wrong field of a 422", () => {
    const error = new ApiError(422, [
      { loc: ["body", "password"], field: "password", msg: "Value error, Password must be at least 10 characters long", type: "value_error" },
    ]);
    expect(error.fields).toEqual({ password: "Password must be at least 10 characters long" });
    expect(error.message).toBe("Password must be at least 10 characters long");
  });
});

describe("plural", () => {
  it("spells the report tabs' plurals as a person would", () => {
    expect(["category", "item", "team member", "store", "payment method", "hour", "weekday", "day", "box"].map(plural)).toEqual([
      "categories",
      "items",
      "team members",
      "stores",
      "payment methods",
      "hours",
      "weekdays",
      "days",
      "boxes",
    ]);
  });
});
