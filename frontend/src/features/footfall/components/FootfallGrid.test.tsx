import { MantineProvider } from "@mantine/core";
import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import { FootfallGrid, type StoredCell, cellKey } from "@/features/footfall/components/FootfallGrid";
import { weekDays } from "@/features/footfall/grid";

const days = weekDays("2026-03-02");
const stores = [
  { id: 1, name: "Harbour St", editable: true },
  { id: 2, name: "Mill Lane", editable: true },
  { id: 3, name: "Quay", editable: false },
];

function Harness({ stored = new Map<string, StoredCell>() }: { stored?: Map<string, StoredCell> }) {
  const [drafts, setDrafts] = useState(new Map<string, string>());
  return (
    <MantineProvider>
      <FootfallGrid
        stores={stores}
        days={days}
        stored={stored}
        lastYear={new Map([[cellKey(1, "2025-03-03"), { count: 380, closed: false, unusual: false, hourly: false }]])}
        drafts={drafts}
        errors={new Map()}
        today="2026-03-06"
        onChange={(changes) =>
          setDrafts((d) => {
            const next = new Map(d);
            changes.forEach(({ key, text }) => next.set(key, text));
            return next;
          })
        }
      />
    </MantineProvider>
  );
}

const cell = (store: string, day: string) => screen.getByLabelText(new RegExp(`^${store}, .*\\b${day}\\b`));

describe("FootfallGrid", () => {
  it("moves between cells with the arrow keys and Enter", async () => {
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(cell("Harbour St", "2"));
    await user.keyboard("412");
    await user.keyboard("{ArrowRight}");
    expect(cell("Harbour St", "3")).toHaveFocus();
    await user.keyboard("{ArrowDown}");
    expect(cell("Mill Lane", "3")).toHaveFocus();
    await user.keyboard("{ArrowLeft}{ArrowUp}");
    expect(cell("Harbour St", "2")).toHaveFocus();
    expect(cell("Harbour St", "2")).toHaveValue("412");
    await user.keyboard("{Enter}");
    expect(cell("Mill Lane", "2")).toHaveFocus();
  });

  it("pastes a spreadsheet block from the focused cell, skipping read-only and future cells", () => {
    render(<Harness />);
    const start = cell("Mill Lane", "5"); // Thursday 5 March; today is Friday 6
    fireEvent.paste(start, { clipboardData: { getData: () => "10\t11\t12\r\n20\t21\t22\r\n" } });
    expect(cell("Mill Lane", "5")).toHaveValue("10");
    expect(cell("Mill Lane", "6")).toHaveValue("11");
    expect(cell("Mill Lane", "7")).toHaveValue(""); // Saturday is in the future
    expect(cell("Quay", "5")).toHaveValue(""); // not editable
  });

  it("shows last year's same weekday, flags unusual counts and marks invalid text", async () => {
    const user = userEvent.setup();
    const stored = new Map([
      [
        cellKey(2, "2026-03-03"),
        { count: 9000, closed: false, unusual: true, reason: "More than 3x a usual Tuesday here (1,000)", hourly: false },
      ],
    ]);
    render(<Harness stored={stored} />);
    expect(screen.getAllByText("LY 380")).toHaveLength(1);
    // The server's reason is the flag's name, read out and shown on hover.
    expect(screen.getByRole("img", { name: "Unusual count: More than 3x a usual Tuesday here (1,000)" })).toBeInTheDocument();
    await user.click(cell("Harbour St", "4"));
    await user.keyboard("lots");
    expect(cell("Harbour St", "4")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByRole("alert")).toHaveTextContent("not a whole number");
  });
});
