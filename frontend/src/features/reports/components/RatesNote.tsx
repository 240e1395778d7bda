// Where converted figures show: which exchange rates they were converted at (source, pairs, the
// rate dates, each business date's on demand), and, when the newest rate is more than 3 days
// older than a date converted, the API's notice as an alert (METRICS.md "Currency").
import { Alert, Anchor, Popover, ScrollArea, Table, Text } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";

import type { RatesUsed } from "@/features/reports/api";
import { formatDateRange, userLocale } from "@/lib/format";

const arrow = (pair: string) => pair.replace("->", "→");

/** "ECB (bundled)" reads as "ECB": the bundled history is the ECB's own reference rates. */
function sourceName(source: string): string {
  return source.replace(/\s*\((bundled|cached)\)$/, "");
}

/** The one-line provenance: "Converted to GBP at ECB reference rates (EUR→GBP, USD→GBP) of 23 – 30 Oct 2026". */
export function ratesLine(rates: RatesUsed, currency: string, locale: string = userLocale()): string | null {
  if (!rates.source) return null;
  const pairs = rates.pairs.map(arrow).join(", ");
  const when =
    rates.oldest_rate_date && rates.newest_rate_date
      ? ` of ${formatDateRange(rates.oldest_rate_date, rates.newest_rate_date, locale)}`
      : "";
  return `Converted to ${currency} at ${sourceName(rates.source)} reference rates (${pairs})${when}`;
}

/** The staleness notice, as an alert beside the figures; nothing when the rates are recent. */
export function RatesAlert({ rates }: { rates: RatesUsed }) {
  if (!rates.stale || !rates.notice) return null;
  return (
    <Alert
      color="orange"
      variant="light"
      icon={<IconAlertTriangle size={18} aria-hidden />}
      title={`Exchange rates ${rates.stale_days} days old`}
      role="status"
      data-testid="rates-stale"
    >
      {rates.notice}
    </Alert>
  );
}

/** The provenance line, with each business date's rate date per pair in a popover. */
export function RatesNote({ rates, currency }: { rates: RatesUsed; currency: string }) {
  const line = ratesLine(rates, currency);
  if (!line) return null;
  const pairs = Object.keys(rates.pair_dates);
  const dates = Object.keys(rates.dates).sort();
  return (
    <Text size="xs" c="gray.7" data-testid="rates-note">
      {line}.{" "}
      <Popover width={pairs.length * 140 + 140} position="top-start" withArrow shadow="md">
        <Popover.Target>
          <Anchor component="button" type="button" size="xs">
            Rate of each date
          </Anchor>
        </Popover.Target>
        <Popover.Dropdown>
          <Text size="xs" c="gray.7" mb={4}>
            Source: {rates.source}. Weekends and holidays use the last rate published before.
          </Text>
          <ScrollArea.Autosize mah={280} type="auto">
            <Table striped withTableBorder={false} fz="xs" aria-label="Reference rate used for each business date">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Business date</Table.Th>
                  {pairs.map((pair) => (
                    <Table.Th key={pair}>{arrow(pair)} rate of</Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {dates.map((day) => (
                  <Table.Tr key={day}>
                    <Table.Td>{formatDateRange(day, day)}</Table.Td>
                    {pairs.map((pair) => {
                      const used = rates.pair_dates[pair]?.[day];
                      return <Table.Td key={pair}>{used ? formatDateRange(used, used) : "—"}</Table.Td>;
                    })}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea.Autosize>
        </Popover.Dropdown>
      </Popover>
    </Text>
  );
}
