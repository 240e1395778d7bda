import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { FootfallCell, FootfallEntry } from "@/features/footfall/api";
import FootfallPage from "@/features/footfall/FootfallPage";
import { json, renderPage, stubApi } from "@/test/reportFixtures";

// A past week (Monday 2 to Sunday 8 November 2026) of Quay Street (store 4): Monday was counted
// by the hour (09:00, 10:00 and a late 23:00), Tuesday has a whole-day count, Wednesday is closed.
const MON = "2026-11-02";
const TUE = "2026-11-03";
const WED = "2026-11-04";

let id = 0;
function entry(date: string, hour: number | null, count: number | null, extra: Partial<FootfallEntry> = {}): FootfallEntry {
  id += 1;
  return {
    id,
    location_id: 4,
    date,
    hour,
    count,
    closed: count === null,
    source: "manual",
    unusual: false,
    updated_at: "2026-11-09T08:00:00Z",
    updated_by: 1,
    ...extra,
  };
}

const week = [
  entry(MON, 9, 20),
  entry(MON, 10, 35, { unusual: true, unusual_reason: "More than 3x a usual Monday 10:00 here (11)" }),
  entry(MON, 23, 5),
  entry(TUE, null, 840),
  entry(WED, null, null),
];

const stores = [
  { id: 4, name: "Quay Street", currency: "GBP", timezone: "Europe/London" },
  { id: 9, name: "Dublin Docks", currency: "EUR", timezone: "Europe/Dublin" },
];

/** The API: the week's entries, and a bulk save that answers `saveAnswer` and records its bodies. */
function api(saveAnswer: () => Response) {
  const saves: FootfallCell[][] = [];
  stubApi(async (url, request) => {
    if (url.pathname === "/api/v1/footfall/bulk" && request.method === "PUT") {
      saves.push(((await request.json()) as { entries: FootfallCell[] }).entries);
      return saveAnswer();
    }
    if (url.pathname === "/api/v1/footfall") {
      const from = url.searchParams.get("date_from") ?? "";
      const items = week.filter((e) => e.date >= from && e.date <= (url.searchParams.get("date_to") ?? ""));
      return json({ items, total: items.length, limit: 50_000, offset: 0, estimates: [] });
    }
    // A save asks the stores again (their footfall gaps).
    if (url.pathname === "/api/v1/locations") return json({ items: stores, total: stores.length });
    return undefined;
  });
  return saves;
}

const saved = () => json({ created: 2, updated: 0, deleted: 1, unchanged: 0, items: [] });

/** An hour's cell: "Quay Street, Monday, November 2, 09:00" (the date as the locale writes it). */
const hourCell = (day: number, hour: string) => screen.getByLabelText(new RegExp(`^Quay Street, .*\\b${day}\\b.*, ${hour}$`));
const total = (date: string) => screen.getByTestId(`hourly-total-${date}`);

describe("footfall by the hour", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows a store's saved hours with each day's total, the hours' flags, and closed days as closed", async () => {
    api(saved);
    renderPage(<FootfallPage />, `/footfall?week=${MON}&hours=4`);
    expect(await screen.findByTestId("hourly-grid")).toBeInTheDocument();
    await waitFor(() => expect(hourCell(2, "09:00")).toHaveValue("20"));
    expect(hourCell(2, "10:00")).toHaveValue("35");
    // An hour with a count is shown though outside 06:00–22:00; an empty early one is not.
    expect(hourCell(2, "23:00")).toHaveValue("5");
    expect(screen.queryByLabelText(/, 05:00$/)).not.toBeInTheDocument();
    expect(total(MON)).toHaveTextContent("60");
    expect(total(TUE)).toHaveTextContent("840");
    expect(total(TUE)).toHaveTextContent("whole day");
    expect(total(WED)).toHaveTextContent("closed");
    expect(hourCell(4, "12:00")).toHaveAttribute("readonly");
    expect(screen.getByRole("img", { name: "Unusual count: More than 3x a usual Monday 10:00 here (11)" })).toBeInTheDocument();

    await userEvent.click(screen.getByRole("switch", { name: "Show all 24 hours" }));
    expect(hourCell(2, "05:00")).toHaveValue("");
  });

  it("adds up the hours as they are typed, moves with the keys, and saves only the hours changed", async () => {
    const user = userEvent.setup();
    const saves = api(saved);
    renderPage(<FootfallPage />, `/footfall?week=${MON}&hours=4`);
    await waitFor(() => expect(hourCell(2, "09:00")).toHaveValue("20"));

    await user.click(hourCell(2, "11:00"));
    await user.keyboard("7{Enter}12");
    expect(hourCell(2, "12:00")).toHaveFocus();
    expect(total(MON)).toHaveTextContent("79");
    await user.keyboard("{ArrowUp}{ArrowUp}{ArrowUp}");
    expect(hourCell(2, "09:00")).toHaveFocus();
    await user.keyboard("{Delete}");
    expect(total(MON)).toHaveTextContent("59");

    await user.click(screen.getByRole("button", { name: "Save 3 changes" }));
    await waitFor(() => expect(saves).toHaveLength(1));
    expect(saves[0]).toEqual([
      { location_id: 4, date: MON, hour: 11, count: 7, closed: false },
      { location_id: 4, date: MON, hour: 12, count: 12, closed: false },
      { location_id: 4, date: MON, hour: 9, count: null, closed: false },
    ]);
    expect(await screen.findByText(/^Saved: 2 added/)).toBeInTheDocument();
  });

  it("replaces a whole-day count only when asked, sending the day cleared with its hours in one save", async () => {
    const user = userEvent.setup();
    const saves = api(saved);
    renderPage(<FootfallPage />, `/footfall?week=${MON}&hours=4`);
    await waitFor(() => expect(total(TUE)).toHaveTextContent("840"));

    // A block from a spreadsheet: Tuesday's 09:00 and 10:00, then Wednesday (closed: left out).
    fireEvent.paste(hourCell(3, "09:00"), { clipboardData: { getData: () => "100\t4\r\n200\t5\r\n" } });
    expect(hourCell(3, "10:00")).toHaveValue("200");
    expect(hourCell(4, "09:00")).toHaveValue("");
    expect(total(TUE)).toHaveTextContent("300");
    expect(total(TUE)).toHaveTextContent("replaces whole-day 840");

    await user.click(screen.getByRole("button", { name: "Save 2 changes" }));
    const dialog = await screen.findByRole("dialog", { name: "Replace whole-day counts with hourly counts?" });
    expect(dialog).toHaveTextContent("has a whole-day count of 840. Replace it with the hourly counts (total 300)?");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(saves).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Save 2 changes" }));
    await user.click(await screen.findByRole("button", { name: "Replace and save" }));
    await waitFor(() => expect(saves).toHaveLength(1));
    expect(saves[0]).toEqual([
      { location_id: 4, date: TUE, count: null, closed: false },
      { location_id: 4, date: TUE, hour: 9, count: 100, closed: false },
      { location_id: 4, date: TUE, hour: 10, count: 200, closed: false },
    ]);
  });

  it("shows a refused save's reason under the hour it names", async () => {
    const user = userEvent.setup();
    api(() => json({ detail: [{ field: "entries.1.hour", msg: "Quay Street on 2026-11-02 already has a whole-day entry" }] }, 422));
    renderPage(<FootfallPage />, `/footfall?week=${MON}&hours=4`);
    await waitFor(() => expect(hourCell(2, "09:00")).toHaveValue("20"));
    await user.click(hourCell(2, "14:00"));
    await user.keyboard("40");
    await user.click(hourCell(2, "15:00"));
    await user.keyboard("41");
    await user.click(screen.getByRole("button", { name: "Save 2 changes" }));

    await waitFor(() => expect(hourCell(2, "15:00")).toHaveAttribute("aria-invalid", "true"));
    expect(hourCell(2, "14:00")).not.toHaveAttribute("aria-invalid");
    expect(hourCell(2, "15:00")).toHaveAccessibleDescription("Quay Street on 2026-11-02 already has a whole-day entry");
  });

  it("opens a store's hours from a day entered by the hour in the day grid", async () => {
    const user = userEvent.setup();
    api(saved);
    const { router } = renderPage(<FootfallPage />, `/footfall?week=${MON}`);
    const grid = await screen.findByTestId("footfall-grid");
    await waitFor(() => expect(within(grid).getByLabelText(/^Quay Street, .*\b2\b/)).toHaveValue("60"));
    expect(within(grid).getByLabelText(/^Quay Street, .*\b2\b/)).toHaveAttribute("readonly");

    await user.click(within(grid).getByRole("button", { name: "hourly: open Quay Street's hours for this week" }));
    expect(await screen.findByTestId("hourly-grid")).toBeInTheDocument();
    expect(router.state.location.search).toContain("hours=4");
    expect(hourCell(2, "10:00")).toHaveValue("35");
  });
});
