import { MantineProvider } from "@mantine/core";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { RatesUsed } from "@/features/reports/api";
import { RatesAlert, RatesNote, ratesLine } from "@/features/reports/components/RatesNote";
import { formatDateRange } from "@/lib/format";
import { rates as none } from "@/test/reportFixtures";

const week: RatesUsed = {
  ...none,
  source: "ECB (bundled)",
  pairs: ["EUR->GBP", "USD->GBP"],
  // Saturday and Sunday were converted at Friday's rates; the USD store sold only on Monday.
  dates: { "2026-10-24": "2026-10-23", "2026-10-25": "2026-10-23", "2026-10-26": "2026-10-26" },
  pair_dates: {
    "EUR->GBP": { "2026-10-24": "2026-10-23", "2026-10-25": "2026-10-23", "2026-10-26": "2026-10-26" },
    "USD->GBP": { "2026-10-26": "2026-10-26" },
  },
  first_converted_date: "2026-10-24",
  last_converted_date: "2026-10-26",
  oldest_rate_date: "2026-10-23",
  newest_rate_date: "2026-10-26",
};

const december: RatesUsed = {
  ...week,
  dates: { "2026-12-06": "2026-10-30" },
  pair_dates: { "USD->GBP": { "2026-12-06": "2026-10-30" } },
  pairs: ["USD->GBP"],
  first_converted_date: "2026-12-06",
  last_converted_date: "2026-12-06",
  oldest_rate_date: "2026-10-30",
  newest_rate_date: "2026-10-30",
  stale_days: 37,
  stale: true,
  notice:
    "Converted at ECB (bundled) rates of 30 Oct 2026 — the latest available, 37 days older than 6 Dec 2026: dates after 30 Oct 2026 use that rate.",
};

function show(ui: React.ReactNode) {
  return render(<MantineProvider env="test">{ui}</MantineProvider>);
}

describe("RatesNote", () => {
  it("names the source, the pairs and the range of rate dates", () => {
    expect(ratesLine(week, "GBP")).toBe(
      `Converted to GBP at ECB reference rates (EUR→GBP, USD→GBP) of ${formatDateRange("2026-10-23", "2026-10-26")}`,
    );
    expect(ratesLine(week, "GBP", "en-GB")).toMatch(/ of 23\s*–\s*26 Oct 2026$/);
    expect(ratesLine(none, "GBP")).toBeNull();
  });

  it("lists each business date's rate date per pair on demand", async () => {
    show(<RatesNote rates={week} currency="GBP" />);
    await userEvent.click(screen.getByRole("button", { name: "Rate of each date" }));
    const table = await screen.findByRole("table", { name: "Reference rate used for each business date" });
    const rows = within(table).getAllByRole("row").map((row) => row.textContent);
    const day = (iso: string) => formatDateRange(iso, iso);
    expect(rows).toEqual([
      "Business dateEUR→GBP rate ofUSD→GBP rate of",
      `${day("2026-10-24")}${day("2026-10-23")}—`,
      `${day("2026-10-25")}${day("2026-10-23")}—`,
      `${day("2026-10-26")}${day("2026-10-26")}${day("2026-10-26")}`,
    ]);
  });

  it("shows nothing when nothing was converted", () => {
    show(<RatesNote rates={none} currency="GBP" />);
    expect(screen.queryByTestId("rates-note")).toBeNull();
  });
});

describe("RatesAlert", () => {
  it("says so beside the figures when the newest rate is weeks older than a date converted", () => {
    show(<RatesAlert rates={december} />);
    const alert = screen.getByRole("status");
    expect(alert).toHaveTextContent("Exchange rates 37 days old");
    expect(alert).toHaveTextContent(
      "Converted at ECB (bundled) rates of 30 Oct 2026 — the latest available, 37 days older than 6 Dec 2026",
    );
  });

  it("stays quiet for rates at most 3 days old", () => {
    show(<RatesAlert rates={{ ...week, stale_days: 3 }} />);
    expect(screen.queryByTestId("rates-stale")).toBeNull();
  });
});
