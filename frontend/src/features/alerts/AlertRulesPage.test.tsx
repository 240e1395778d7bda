import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import AlertRulesPage from "@/features/alerts/AlertRulesPage";
import { json, renderPage } from "@/test/reportFixtures";

vi.setConfig({ testTimeout: 30_000 });

const usual = { threshold_percent: 30, weeks: 6, by_hour: null, floor_percent: null, at_hour: null };
const none = { threshold_percent: null, weeks: null, by_hour: null, floor_percent: null, at_hour: null };
const rules = {
  quiet_hours: { enabled: true, from_hour: 21, to_hour: 7 },
  rules: [
    { kind: "sales_low", enabled: true, ...usual },
    { kind: "sales_high", enabled: false, ...usual },
    { kind: "transactions_low", enabled: false, ...usual },
    { kind: "transactions_high", enabled: false, ...usual },
    { kind: "conversion_low", enabled: false, ...none, floor_percent: 10 },
    { kind: "footfall_missing", enabled: true, ...none, at_hour: 10 },
    { kind: "square_connection", enabled: true, ...none },
    { kind: "rates_stale", enabled: true, ...none },
  ].map((r) => ({ ...r, location_id: null, location_name: null })),
  overrides: [],
};
const stores = {
  total: 1,
  items: [
    {
      id: 4,
      name: "Quay Street",
      square_location_id: null,
      country: "GB",
      status: "ACTIVE",
      opened_on: null,
      created_at: "2026-01-01T00:00:00Z",
      currency: "GBP",
      timezone: "Europe/London",
      business_day_start_hour: 0,
      recalculation: null,
    },
  ],
};

describe("AlertRulesPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("saves a switched rule, a tuned threshold and a store override with only their kinds' parameters", async () => {
    const puts: unknown[] = [];
    vi.stubGlobal("fetch", async (input: Request) => {
      const url = new URL(input.url);
      if (url.pathname.startsWith("/api/v1/auth/")) return json({}, 401);
      if (url.pathname === "/api/v1/alerts/rules" && input.method === "PUT") {
        const body = (await input.json()) as Record<string, unknown>;
        puts.push(body);
        return json(rules);
      }
      if (url.pathname === "/api/v1/alerts/rules") return json(rules);
      if (url.pathname === "/api/v1/locations") return json(stores);
      return json({ detail: "Not Found" }, 404);
    });
    renderPage(<AlertRulesPage />, "/alerts/rules");
    // A switch's name is its label and, after it, its description.
    await userEvent.click(await screen.findByRole("switch", { name: /^Net sales above usual/ }));
    const threshold = screen.getByLabelText("Net sales below usual: Threshold (%)");
    await userEvent.clear(threshold);
    await userEvent.type(threshold, "25");
    await userEvent.click(screen.getByRole("textbox", { name: "Store" }));
    await userEvent.click(await screen.findByRole("option", { name: "Quay Street", hidden: true }));
    await userEvent.click(screen.getByRole("textbox", { name: "Rule" }));
    await userEvent.click(await screen.findByRole("option", { name: "Footfall missing", hidden: true }));
    await userEvent.click(screen.getByRole("button", { name: "Add override" }));
    await userEvent.click(screen.getByRole("button", { name: "Save alert rules" }));
    await waitFor(() => expect(puts).toHaveLength(1));
    const body = puts[0] as { rules: Record<string, unknown>[]; overrides: Record<string, unknown>[] };
    expect(body.rules[0]).toEqual({ kind: "sales_low", enabled: true, threshold_percent: 25, weeks: 6 });
    expect(body.rules[1]).toEqual({ kind: "sales_high", enabled: true, threshold_percent: 30, weeks: 6 });
    expect(body.rules[6]).toEqual({ kind: "square_connection", enabled: true });
    expect(body.overrides).toEqual([{ kind: "footfall_missing", location_id: 4, enabled: true, at_hour: 10 }]);
    expect(await screen.findByRole("status")).toHaveTextContent("Saved");
  });

  it("lets a manager give their stores rules of their own, and nothing else", async () => {
    const puts: { path: string; body: unknown }[] = [];
    vi.stubGlobal("fetch", async (input: Request) => {
      const url = new URL(input.url);
      if (url.pathname.startsWith("/api/v1/auth/")) return json({}, 401);
      if (input.method === "PUT") {
        puts.push({ path: url.pathname, body: await input.json() });
        return json(rules);
      }
      if (url.pathname === "/api/v1/alerts/rules") return json(rules);
      return json({ detail: "Not Found" }, 404);
    });
    renderPage(<AlertRulesPage />, "/alerts/rules", { role: "manager" });
    // The rules for every store and the quiet hours are an owner's or admin's.
    expect(await screen.findByRole("switch", { name: /^Net sales above usual/ })).toBeDisabled();
    expect(screen.getByRole("switch", { name: "Hold alert mail during quiet hours" })).toBeDisabled();
    await userEvent.click(screen.getByRole("textbox", { name: "Store" }));
    await userEvent.click(await screen.findByRole("option", { name: "Quay Street", hidden: true }));
    await userEvent.click(screen.getByRole("textbox", { name: "Rule" }));
    await userEvent.click(await screen.findByRole("option", { name: "Conversion below a floor", hidden: true }));
    await userEvent.click(screen.getByRole("button", { name: "Add override" }));
    const floor = screen.getByLabelText("Quay Street: Conversion below a floor: Floor (%)");
    await userEvent.clear(floor);
    await userEvent.type(floor, "18");
    await userEvent.click(screen.getByRole("button", { name: "Save store rules" }));
    await waitFor(() => expect(puts).toHaveLength(1));
    // Only the overrides of the manager's stores (the ones they see) are sent.
    expect(puts[0]).toEqual({
      path: "/api/v1/alerts/rules/overrides",
      body: {
        location_ids: [4, 9],
        overrides: [{ kind: "conversion_low", location_id: 4, enabled: false, floor_percent: 18 }],
      },
    });
    expect(await screen.findByRole("status")).toHaveTextContent("Saved");
  });
});
