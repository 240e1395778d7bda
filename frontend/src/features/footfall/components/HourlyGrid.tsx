import { Table, Text } from "@mantine/core";

import { DaysHead, GridCell, UnusualMark, cellState, dayNames, useGridKeys } from "@/features/footfall/components/GridCell";
import type { GridStore, StoredCell } from "@/features/footfall/components/FootfallGrid";
import { hoursTotal, parseKeyed, replacedDays } from "@/features/footfall/entries";
import { cellKey, cellText, hourKey, hourLabel, type Pos } from "@/features/footfall/grid";
import { formatNumber } from "@/lib/format";

type Props = {
  store: GridStore;
  days: string[];
  /** The rows: local clock hours, in the order of the store's business day. */
  hours: number[];
  /** The week's store-days (cellKey): a whole-day figure, a closed day or an hourly total. */
  stored: Map<string, StoredCell>;
  /** The week's hours (hourKey). */
  storedHours: Map<string, StoredCell>;
  drafts: Map<string, string>;
  /** Errors by hourKey, or by cellKey for a day (shown in its total). */
  errors: Map<string, string>;
  today: string;
  onChange: (changes: { key: string; text: string }[]) => void;
  onPasteIgnored?: (count: number) => void;
};

/**
 * One store's week by the hour: hours down, days across, a count per hour and a total per day
 * that follows what is typed. Keys and paste work as in the day grid. A closed day is closed all
 * day and takes no hours; typing hours on a day with a whole-day count replaces that count.
 */
export function HourlyGrid({ store, days, hours, stored, storedHours, drafts, errors, today, onChange, onPasteIgnored }: Props) {
  const names = dayNames();
  const typed = [...drafts];
  const replaced = new Map(replacedDays(typed, stored, storedHours).map((r) => [r.key, r]));

  const closed = (day: string) => Boolean(stored.get(cellKey(store.id, day))?.closed);
  const editable = ({ row, col }: Pos): boolean => {
    const day = days[col];
    return Boolean(store.editable && day && day <= today && hours[row] !== undefined && !closed(day));
  };
  const grid = useGridKeys({
    size: { rows: hours.length, cols: days.length },
    keyAt: ({ row, col }) => {
      const day = days[col];
      const hour = hours[row];
      return day && hour !== undefined ? hourKey(store.id, day, hour) : undefined;
    },
    editable,
    saved: (key) => cellText(storedHours.get(key)),
    onChange,
    onPasteIgnored,
  });

  const why = (day: string) => {
    if (!store.editable) return undefined;
    if (day > today) return "In the future";
    if (closed(day)) return "Closed all day: to count it by the hour, reopen it in the day view";
    return undefined;
  };

  return (
    <Table withTableBorder withColumnBorders miw={620} className="footfall-grid report-table" data-testid="hourly-grid">
      <DaysHead
        corner="Hour"
        cornerClass="sticky-col"
        days={days}
        note={(day) =>
          closed(day) && (
            <Text size="xs" c="gray.7" fs="italic">
              closed
            </Text>
          )
        }
      />
      <Table.Tbody>
        {hours.map((hour, row) => (
          <Table.Tr key={hour}>
            <Table.Th scope="row" fw={500} className="sticky-col" style={{ fontVariantNumeric: "tabular-nums" }}>
              {hourLabel(hour)}
            </Table.Th>
            {days.map((day, col) => {
              const key = hourKey(store.id, day, hour);
              const saved = storedHours.get(key);
              const cell = cellState(key, saved, drafts, errors, (text) => parseKeyed(key, text));
              return (
                <GridCell
                  key={day}
                  id={key}
                  pos={{ row, col }}
                  grid={grid}
                  label={`${store.name}, ${names.long(day)}, ${hourLabel(hour)}`}
                  cell={cell}
                  closed={closed(day)}
                  readOnly={!editable({ row, col })}
                  title={why(day)}
                  placeholder={closed(day) ? "closed" : undefined}
                  onChange={onChange}
                >
                  {saved?.unusual && cell.draft === undefined && <UnusualMark reason={saved.reason} />}
                </GridCell>
              );
            })}
          </Table.Tr>
        ))}
      </Table.Tbody>
      <Table.Tfoot>
        <Table.Tr data-testid="hourly-totals">
          <Table.Th scope="row" className="sticky-col">
            Day total
          </Table.Th>
          {days.map((day) => {
            const key = cellKey(store.id, day);
            const whole = stored.get(key);
            const total = hoursTotal(key, typed, storedHours);
            const swap = replaced.get(key);
            const error = errors.get(key);
            return (
              <Table.Td key={day} ta="right" data-testid={`hourly-total-${day}`} style={{ fontVariantNumeric: "tabular-nums" }}>
                <Text size="sm" fw={700}>
                  {whole?.closed ? "closed" : total !== null ? formatNumber(total) : whole && !whole.hourly && whole.count !== null ? formatNumber(whole.count) : "–"}
                </Text>
                {whole && !whole.hourly && whole.count !== null && (
                  <Text size="xs" c={swap ? "red.9" : "gray.7"}>
                    {swap ? `replaces whole-day ${formatNumber(whole.count)}` : "whole day"}
                  </Text>
                )}
                {error && (
                  <Text size="xs" c="red.9" role="alert">
                    {error}
                  </Text>
                )}
              </Table.Td>
            );
          })}
        </Table.Tr>
      </Table.Tfoot>
    </Table>
  );
}
