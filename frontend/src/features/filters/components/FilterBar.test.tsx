import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider, useLocation } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { authKeys } from "@/features/auth/api";
import { SessionProvider } from "@/features/auth/session";
import { FilterBar } from "@/features/filters/components/FilterBar";
import { locationKeys } from "@/features/locations/api";

function Search() {
  return <output data-testid="search">{useLocation().search}</output>;
}

function renderAt(url: string, groups?: { id: number; name: string; location_ids: number[] }[]) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  queryClient.setQueryData(authKeys.me(), {
    id: 1,
    org_id: 1,
    email: "ada@example.com",
    full_name: "Ada",
    role: "owner",
    is_active: true,
    invite_pending: false,
    invite_open: false,
    created_at: "2026-01-01T00:00:00Z",
    organization: { id: 1, name: "Harbour", reporting_currency: "GBP", created_at: "2026-01-01T00:00:00Z" },
  });
  queryClient.setQueryData(locationKeys.list(), {
    total: 2,
    items: [
      { id: 4, name: "Quay Street", currency: "GBP", timezone: "Europe/London" },
      { id: 9, name: "Dublin Docks", currency: "EUR", timezone: "Europe/Dublin" },
    ],
  });
  // Known up front (no groups unless given): an unanswered request would sign the test out.
  queryClient.setQueryData(locationKeys.groups(), groups ?? []);
  const router = createMemoryRouter(
    [{ path: "/", element: (<><FilterBar /><Search /></>) }],
    { initialEntries: [url] },
  );
  render(
    <MantineProvider>
      <QueryClientProvider client={queryClient}>
        <SessionProvider>
          <RouterProvider router={router} />
        </SessionProvider>
      </QueryClientProvider>
    </MantineProvider>,
  );
  return router;
}

describe("FilterBar", () => {
  beforeEach(() => {
    // The session provider asks for a refresh on start; no cookie here.
    vi.stubGlobal("fetch", async () => new Response("{}", { status: 401 }));
  });
  afterEach(() => vi.unstubAllGlobals());

  it("shows the filters the URL holds", () => {
    renderAt("/?range=last_month&compare=none&currency=EUR&stores=9");
    expect(screen.getByRole("textbox", { name: "Date range" })).toHaveValue("Last month");
    expect(screen.getByRole("textbox", { name: "Compare with" })).toHaveValue("No comparison");
    expect(screen.getByRole("textbox", { name: "Currency" })).toHaveValue("EUR");
    expect(screen.getAllByText("Dublin Docks")[0]).toBeInTheDocument();
    expect(screen.getByTestId("filter-summary")).toHaveTextContent("no comparison");
  });

  it("writes a changed filter into the URL and leaves defaults out", async () => {
    const user = userEvent.setup();
    renderAt("/?tab=items");
    expect(screen.getByRole("textbox", { name: "Currency" })).toHaveValue("GBP");
    await user.click(screen.getByRole("textbox", { name: "Compare with" }));
    await user.click(await screen.findByRole("option", { name: "Same weekdays last year", hidden: true }));
    expect(screen.getByTestId("search")).toHaveTextContent("?tab=items&compare=previous_year");
    await user.click(screen.getByRole("textbox", { name: "Stores" }));
    await user.click(await screen.findByRole("option", { name: "Quay Street", hidden: true }));
    expect(screen.getByTestId("search")).toHaveTextContent("stores=4");
  });

  it("filters by store group and switches like-for-like on only with a comparison", async () => {
    const user = userEvent.setup();
    renderAt("/?compare=none", [{ id: 3, name: "North", location_ids: [4] }]);
    const lfl = screen.getByRole("switch", { name: /Like-for-like/ });
    expect(lfl).toBeDisabled();
    expect(screen.getByText("Choose a comparison to compare like-for-like")).toBeInTheDocument();
    await user.click(screen.getByRole("textbox", { name: "Group" }));
    await user.click(await screen.findByRole("option", { name: "North", hidden: true }));
    expect(screen.getByTestId("search")).toHaveTextContent("groups=3");
    await user.click(screen.getByRole("textbox", { name: "Compare with" }));
    await user.click(await screen.findByRole("option", { name: "Previous period", hidden: true }));
    expect(screen.getByText("Only stores that traded on both the day and its comparison day")).toBeInTheDocument();
    await user.click(screen.getByRole("switch", { name: /Like-for-like/ }));
    expect(screen.getByTestId("search")).toHaveTextContent("lfl=1");
    expect(screen.getByTestId("filter-summary")).toHaveTextContent("like-for-like stores only");
  }, 20_000);
});
