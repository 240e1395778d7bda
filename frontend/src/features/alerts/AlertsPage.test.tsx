import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import AlertsPage from "@/features/alerts/AlertsPage";
import { json, renderPage } from "@/test/reportFixtures";

vi.setConfig({ testTimeout: 30_000 });

const weak = {
  id: 2,
  kind: "sales_low",
  location_id: 4,
  location_name: "Clapham",
  connection_id: null,
  business_date: "2026-12-01",
  summary: "Clapham: net sales £812 yesterday, 41 % below a usual Tuesday (£1,380)",
  detail: "…",
  link_path: "/?range=custom&from=2026-12-01&to=2026-12-01&stores=4",
  found_at: "2026-12-02T09:00:00Z",
  closed_at: null,
  mailed_at: "2026-12-02T09:00:00Z",
  mail_due_at: "2026-12-02T09:00:00Z",
  open: true,
};
const fixed = {
  ...weak,
  id: 1,
  kind: "square_connection",
  location_id: null,
  location_name: null,
  connection_id: 3,
  business_date: null,
  summary: "Harbour: the Square connection needs reconnecting",
  link_path: "/settings/square",
  closed_at: "2026-12-01T12:00:00Z",
  open: false,
};

describe("AlertsPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists each alert's store, what happened and whether it is open, and filters by state", async () => {
    const asked: string[] = [];
    vi.stubGlobal("fetch", async (input: Request) => {
      const url = new URL(input.url);
      if (url.pathname.startsWith("/api/v1/auth/")) return json({}, 401);
      if (url.pathname === "/api/v1/alerts") {
        const state = url.searchParams.get("state");
        asked.push(state ?? "all");
        const items = [weak, fixed].filter((i) => !state || (state === "open") === i.open);
        return json({ items, total: items.length });
      }
      return json({ detail: "Not Found" }, 404);
    });
    renderPage(<AlertsPage />, "/alerts");
    const table = await screen.findByTestId("alerts");
    const [, first, second] = within(table).getAllByRole("row");
    expect(within(table).getAllByRole("row")).toHaveLength(3);
    if (!first || !second) throw new Error("two rows expected");
    const rows = [first, second] as const;
    expect(rows[0]).toHaveTextContent("Clapham");
    expect(rows[0]).toHaveTextContent("Net sales below usual");
    expect(rows[0]).toHaveTextContent("Open");
    expect(within(rows[0]).getByRole("link", { name: /41 % below a usual Tuesday/ })).toHaveAttribute(
      "href",
      "/?range=custom&from=2026-12-01&to=2026-12-01&stores=4",
    );
    expect(rows[1]).toHaveTextContent("Square connection");
    expect(rows[1]).toHaveTextContent("Closed");

    await userEvent.click(screen.getByRole("radio", { name: "Closed" }));
    await vi.waitFor(() => expect(asked).toContain("closed"));
    await vi.waitFor(() =>
      expect(within(screen.getByTestId("alerts")).getAllByRole("row").slice(1)).toHaveLength(1),
    );
    expect(screen.getByTestId("alerts")).not.toHaveTextContent("Clapham");
  });
});
