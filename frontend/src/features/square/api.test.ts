import { describe, expect, it } from "vitest";

import { type BackfillProgress, backfillPercent, readOutcome, timeLeft } from "@/features/square/api";

describe("readOutcome (the OAuth callback's redirect)", () => {
  it("reads a connection and the server's message", () => {
    const outcome = readOutcome(new URLSearchParams("square=connected&message=Connected+Hartley"));
    expect(outcome).toEqual({ title: "Square account connected", ok: true, message: "Connected Hartley" });
  });
  it("says what went wrong, with a fallback message", () => {
    expect(readOutcome(new URLSearchParams("square=denied"))).toMatchObject({ ok: false, title: "Square connection cancelled" });
    expect(readOutcome(new URLSearchParams("square=invalid_state"))?.message).toMatch(/try connecting again/);
    expect(readOutcome(new URLSearchParams("square=exchange_failed"))?.ok).toBe(false);
    expect(readOutcome(new URLSearchParams("square=wrong_browser"))).toMatchObject({ ok: false, title: "Square connection not made" });
  });
  it("ignores anything else", () => {
    expect(readOutcome(new URLSearchParams(""))).toBeNull();
    expect(readOutcome(new URLSearchParams("square=<script>"))).toBeNull();
  });
});

describe("the first sync's progress in words", () => {
  it("says about how long is left, once there is a rate", () => {
    expect(timeLeft(null)).toBeNull();
    expect(timeLeft(20)).toBe("under a minute left");
    expect(timeLeft(60)).toBe("about 1 minute left");
    expect(timeLeft(14 * 60 + 20)).toBe("about 14 minutes left");
    expect(timeLeft(5 * 3600)).toBe("about 5 hours left");
  });
  it("counts the days fetched as a percentage, never past 100", () => {
    const progress = { days_done: 60, days_total: 730 } as BackfillProgress;
    expect(backfillPercent(progress)).toBe(8);
    expect(backfillPercent({ ...progress, days_done: 730 })).toBe(100);
    expect(backfillPercent({ ...progress, days_total: 0 })).toBe(0);
  });
});
