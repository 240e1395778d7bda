import { describe, expect, it } from "vitest";

import { compareDecimal, isNegativeDecimal } from "@/lib/decimal";

describe("compareDecimal", () => {
  it("orders decimal strings by value, not as text", () => {
    expect(compareDecimal("10.50", "9.99")).toBe(1);
    expect(compareDecimal("9.99", "10.50")).toBe(-1);
    expect(compareDecimal("100", "99.999")).toBe(1);
    expect(compareDecimal("0.10", "0.1")).toBe(0);
    expect(compareDecimal("007.5", "7.50")).toBe(0);
  });

  it("handles signs, including a negative zero", () => {
    expect(compareDecimal("-5.00", "3.00")).toBe(-1);
    expect(compareDecimal("-10.00", "-9.99")).toBe(-1);
    expect(compareDecimal("-0.00", "0")).toBe(0);
    expect(isNegativeDecimal("-0.00")).toBe(false);
    expect(isNegativeDecimal("-0.01")).toBe(true);
  });

  it("stays exact beyond what a float can hold", () => {
    // As floats these two are the same number.
    expect(Number("12345678901234567.01")).toBe(Number("12345678901234567.02"));
    expect(compareDecimal("12345678901234567.01", "12345678901234567.02")).toBe(-1);
  });

  it("refuses what is not a decimal", () => {
    expect(() => compareDecimal("12,50", "1")).toThrow(/not a decimal/);
  });
});
