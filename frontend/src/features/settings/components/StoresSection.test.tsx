import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { locationKeys } from "@/features/locations/api";
import { StoresSection } from "@/features/settings/components/StoresSection";
import { json, renderPage } from "@/test/reportFixtures";

vi.setConfig({ testTimeout: 20_000 });

const base = {
  square_location_id: null,
  country: "IE",
  status: "ACTIVE",
  opened_on: null,
  created_at: "2026-01-01T00:00:00Z",
};
const job = {
  location_id: 9,
  state: "running" as const,
  reason: "Business day start changed from 00:00 to 04:00",
  done: 1,
  total: 4,
  progress: 0.25,
  error: null,
  requested_at: "2026-01-14T08:00:00Z",
  started_at: "2026-01-14T08:00:01Z",
  finished_at: null,
};
const stores = {
  total: 2,
  items: [
    { ...base, id: 4, name: "Quay Street", currency: "GBP", timezone: "Europe/London", business_day_start_hour: 0, recalculation: null },
    { ...base, id: 9, name: "Dublin Docks", currency: "EUR", timezone: "Europe/Dublin", business_day_start_hour: 4, recalculation: job },
  ],
};

describe("StoresSection", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows each store's recalculation and changes a business-day start", async () => {
    const patches: unknown[] = [];
    vi.stubGlobal("fetch", async (input: Request) => {
      const url = new URL(input.url);
      if (url.pathname.startsWith("/api/v1/auth/")) return json({}, 401);
      if (input.method === "PATCH" && url.pathname === "/api/v1/locations/4") {
        patches.push(await input.json());
        return json({ ...stores.items[0], business_day_start_hour: 3 });
      }
      if (url.pathname === "/api/v1/locations") return json(stores);
      return json({ detail: "Not Found" }, 404);
    });
    const { queryClient } = renderPage(<StoresSection canEdit />);
    act(() => queryClient.setQueryData(locationKeys.list(), stores));
    const status = await screen.findByTestId("recalculation-9");
    expect(status).toHaveTextContent("Recalculating: 25% done");
    expect(status).toHaveTextContent("Business day start changed from 00:00 to 04:00");
    expect(screen.queryByTestId("recalculation-4")).not.toBeInTheDocument();

    const quay = screen.getByRole("textbox", { name: "Business day start of Quay Street" });
    await userEvent.click(quay);
    const list = document.getElementById(quay.getAttribute("aria-controls") ?? "") as HTMLElement;
    await userEvent.click(await within(list).findByRole("option", { name: "03:00", hidden: true }));
    await waitFor(() => expect(patches).toEqual([{ business_day_start_hour: 3 }]));
  });
});
