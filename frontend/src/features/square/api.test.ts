import { describe, expect, it } from "vitest";

import { readOutcome } from "@/features/square/api";

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
