import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { OrganizationSection } from "@/features/settings/components/OrganizationSection";
import { json, renderPage } from "@/test/reportFixtures";

const organization = {
  id: 1,
  name: "Harbour",
  reporting_currency: "USD",
  timezone: "Europe/London",
  created_at: "2026-01-01T00:00:00Z",
};

vi.setConfig({ testTimeout: 20_000 });

describe("OrganizationSection", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("renaming sends the name alone, so the currency still follows the first Square account", async () => {
    const patches: unknown[] = [];
    vi.stubGlobal("fetch", async (input: Request) => {
      const url = new URL(input.url);
      if (url.pathname.startsWith("/api/v1/auth/")) return json({}, 401);
      if (url.pathname === "/api/v1/organization" && input.method === "PATCH") {
        const body = (await input.json()) as Record<string, unknown>;
        patches.push(body);
        return json({ ...organization, ...body });
      }
      if (url.pathname === "/api/v1/organization") return json(organization);
      return json({ detail: "Not Found" }, 404);
    });
    renderPage(<OrganizationSection canEdit />);
    const name = await screen.findByLabelText(/Name/);
    await waitFor(() => expect(name).toHaveValue("Harbour"));
    await userEvent.clear(name);
    await userEvent.type(name, "Harbour Cafés");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(patches).toEqual([{ name: "Harbour Cafés" }]));
  });
});
