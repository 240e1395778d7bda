import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { NotificationsForm } from "@/features/notifications/components/NotificationsForm";
import { json, renderPage } from "@/test/reportFixtures";

vi.setConfig({ testTimeout: 20_000 });

const settings = {
  digests: [
    { frequency: "daily", enabled: false, local_hour: 7, weekday: 0, metrics: ["net_sales"], include_league: true },
    { frequency: "weekly", enabled: false, local_hour: 7, weekday: 0, metrics: ["net_sales"], include_league: true },
  ],
  alerts: { email: true },
};

describe("NotificationsForm", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("switching the daily digest on and off the alerts sends the whole state, for a team member too", async () => {
    const puts: { path: string; body: unknown }[] = [];
    vi.stubGlobal("fetch", async (input: Request) => {
      const url = new URL(input.url);
      if (url.pathname.startsWith("/api/v1/auth/")) return json({}, 401);
      if (url.pathname === "/api/v1/users/7/notifications" && input.method === "PUT") {
        const body = (await input.json()) as typeof settings;
        puts.push({ path: url.pathname, body });
        return json(body);
      }
      if (url.pathname === "/api/v1/users/7/notifications") return json(settings);
      return json({ detail: "Not Found" }, 404);
    });
    renderPage(<NotificationsForm owner={7} who="Max" timezone="America/New_York" />);
    const daily = await screen.findByTestId("digest-daily");
    await userEvent.click(within(daily).getByRole("switch"));
    expect(within(daily).getByTestId("digest-daily-schedule")).toHaveTextContent("Every day at 07:00 (America/New_York)");
    await userEvent.click(screen.getByRole("switch", { name: /E-mail me exception alerts/ }));
    // A team member's form has no preview: it would mail the admin, not them.
    expect(screen.queryByRole("button", { name: /Send me/ })).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Save notifications" }));
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(puts[0]?.body).toEqual({
      digests: [
        { ...settings.digests[0], enabled: true },
        settings.digests[1],
      ],
      alerts: { email: false },
    });
    expect(await screen.findByText("Saved.")).toBeVisible();
  });
});
