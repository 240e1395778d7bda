// Report API responses and a page renderer for component tests: the fetch stub answers each
// report route from these fixtures, shaped exactly as the generated client types say.
import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { vi } from "vitest";

import { authKeys } from "@/features/auth/api";
import { SessionProvider } from "@/features/auth/session";
import { locationKeys } from "@/features/locations/api";
import type { Breakdown, Heatmap, RatesUsed, Summary, Timeseries } from "@/features/reports/api";

export const rates: RatesUsed = {
  source: null,
  base: "EUR",
  pairs: [],
  dates: {},
  pair_dates: {},
  first_converted_date: null,
  last_converted_date: null,
  oldest_rate_date: null,
  newest_rate_date: null,
  stale_days: 0,
  stale: false,
  notice: null,
};

export function metrics(overrides: Record<string, string | number | null> = {}) {
  return {
    gross_sales: "1300.00",
    returns: "50.00",
    discounts: "50.00",
    net_sales: "1200.00",
    gift_card_sales: "0.00",
    tax: "240.00",
    additive_tax: "0.00",
    tips: "10.00",
    service_charges: "0.00",
    refunds_by_amount: "0.00",
    rounding: "0.00",
    total_collected: "1450.00",
    fees: "20.00",
    net_total: "1430.00",
    transactions: 100,
    units_sold: 180,
    average_transaction_value: "12.00",
    units_per_transaction: 1.8,
    footfall: 400,
    conversion_rate: 0.25,
    sales_per_visitor: "3.00",
    ...overrides,
  };
}

export const coverage = {
  days: 7,
  location_days: 14,
  days_with_sales: 14,
  days_with_footfall: 12,
  days_used_for_conversion: 12,
  days_left_out_of_conversion: 2,
};

export function summary(overrides: Partial<Summary> = {}): Summary {
  return {
    currency: "GBP",
    date_from: "2026-01-07",
    date_to: "2026-01-13",
    location_ids: [4, 9],
    lfl: false,
    metrics: metrics(),
    comparison: {
      date_from: "2025-12-31",
      date_to: "2026-01-06",
      metrics: metrics({ net_sales: "1000.00", transactions: 100, footfall: null, conversion_rate: null }),
      rates: "actual",
    },
    change: { net_sales: 0.2, transactions: 0, average_transaction_value: 0.2, units_per_transaction: -0.1, footfall: null, conversion_rate: null, sales_per_visitor: null },
    coverage,
    rates,
    ...overrides,
  };
}

export function breakdown(by: Breakdown["by"], rows: Breakdown["rows"]): Breakdown {
  return { currency: "GBP", by, date_from: "2026-01-07", date_to: "2026-01-13", rows, total: { metrics: metrics() }, rates };
}

export const locationRows: Breakdown["rows"] = [
  { key: "4", label: "Quay Street", metrics: metrics({ net_sales: "950.00", conversion_rate: 0.3 }) },
  { key: "9", label: "Dublin Docks", metrics: metrics({ net_sales: "250.00", conversion_rate: null, footfall: null }) },
];

export const timeseries: Timeseries = {
  currency: "GBP",
  granularity: "day",
  date_from: "2026-01-07",
  date_to: "2026-01-13",
  comparison: null,
  points: [{ start: "2026-01-07", metrics: metrics(), comparison_metrics: null }],
  rates,
};

export const heatmap: Heatmap = {
  currency: "GBP",
  date_from: "2026-01-07",
  date_to: "2026-01-13",
  cells: [{ weekday: 0, hour: 9, net_sales: "120.00", transactions: 10 }],
  rates,
};

export type Route = (url: URL, request: Request) => Response | undefined | Promise<Response | undefined>;

export const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

/** Stubs fetch: the session refresh fails quietly, report routes answer from `route`. */
export function stubApi(route: Route) {
  const seen: URL[] = [];
  vi.stubGlobal("fetch", async (input: Request) => {
    const url = new URL(input.url);
    seen.push(url);
    if (url.pathname.startsWith("/api/v1/auth/")) return json({}, 401);
    return (await route(url, input)) ?? json({ detail: "Not Found" }, 404);
  });
  return seen;
}

/** Renders `element` at `url` with the app's providers, a signed-in user and two stores. */
export function renderPage(
  element: ReactNode,
  url = "/",
  { role = "owner" }: { role?: "owner" | "admin" | "manager" | "viewer" } = {},
) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  queryClient.setQueryData(authKeys.me(), {
    id: 1,
    org_id: 1,
    email: "ada@example.com",
    full_name: "Ada",
    role,
    is_active: true,
    invite_pending: false,
    created_at: "2026-01-01T00:00:00Z",
    organization: {
      id: 1,
      name: "Harbour",
      reporting_currency: "GBP",
      timezone: "Europe/London",
      created_at: "2026-01-01T00:00:00Z",
    },
  });
  queryClient.setQueryData(locationKeys.list(), {
    total: 2,
    items: [
      { id: 4, name: "Quay Street", currency: "GBP", timezone: "Europe/London" },
      { id: 9, name: "Dublin Docks", currency: "EUR", timezone: "Europe/Dublin" },
    ],
  });
  const router = createMemoryRouter([{ path: "*", element }], { initialEntries: [url] });
  render(
    <MantineProvider>
      <QueryClientProvider client={queryClient}>
        <SessionProvider>
          <RouterProvider router={router} />
        </SessionProvider>
      </QueryClientProvider>
    </MantineProvider>,
  );
  return { router, queryClient };
}
