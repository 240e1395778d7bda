import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import DashboardPage from "@/features/dashboard/DashboardPage";
import { breakdown, heatmap, json, locationRows, renderPage, stubApi, summary, timeseries } from "@/test/reportFixtures";

// Net sales +10.3 % at actual rates, +5.6 % at constant rates: 4.7 points are exchange rates.
function routes(url: URL): Response | undefined {
  const constant = url.searchParams.get("constant_currency") === "true";
  switch (url.pathname) {
    case "/api/v1/reports/summary": {
      const base = summary();
      return json({
        ...base,
        comparison: base.comparison && { ...base.comparison, rates: constant ? "constant" : "actual" },
        change: { ...base.change, net_sales: constant ? 0.056 : 0.103 },
        currency_effect: 0.047,
      });
    }
    case "/api/v1/locations":
      return json({ total: 0, items: [] });
    case "/api/v1/reports/timeseries":
      return json(timeseries);
    case "/api/v1/reports/breakdown":
      return json(breakdown("location", locationRows));
    case "/api/v1/reports/heatmap":
      return json(heatmap);
  }
  return undefined;
}

vi.setConfig({ testTimeout: 20_000 });

describe("constant currency on the dashboard", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("says how much of the change is exchange rates, and switches to constant currency", async () => {
    const seen = stubApi(routes);
    renderPage(<DashboardPage />);
    const net = await screen.findByTestId("kpi-net_sales", {}, { timeout: 5000 });
    const note = within(net).getByTestId("currency-effect");
    expect(note).toHaveTextContent("Of +10.3%, +4.7 pts from exchange rates");
    const toggle = screen.getByRole("switch", { name: /Constant currency/ });
    expect(toggle).not.toBeChecked();

    await userEvent.click(within(note).getByRole("button", { name: "switch to constant currency" }));
    await waitFor(() => expect(within(screen.getByTestId("kpi-net_sales")).getByTestId("kpi-change")).toHaveTextContent("+5.6%"));
    expect(screen.getByRole("switch", { name: /Constant currency/ })).toBeChecked();
    expect(screen.getByTestId("currency-effect")).toHaveTextContent("At actual exchange rates +10.3% (+4.7 pts from exchange rates)");
    const asked = seen.filter((u) => u.pathname === "/api/v1/reports/summary").at(-1);
    expect(asked?.searchParams.get("constant_currency")).toBe("true");
    // Breakdowns and the heatmap carry no comparison: they are not asked with the option.
    const heat = seen.filter((u) => u.pathname === "/api/v1/reports/heatmap").at(-1);
    expect(heat?.searchParams.get("constant_currency")).toBeNull();
  });

  it("offers the switch only when some selected store trades in another currency", async () => {
    stubApi(routes);
    renderPage(<DashboardPage />, "/?stores=4");
    await screen.findByTestId("kpi-net_sales", {}, { timeout: 5000 });
    expect(screen.queryByRole("switch", { name: /Constant currency/ })).not.toBeInTheDocument();
  });
});
