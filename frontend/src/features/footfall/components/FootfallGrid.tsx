import { Anchor, Table, Text } from "@mantine/core";

import { DaysHead, GridCell, UnusualMark, cellState, dayNames, useGridKeys } from "@/features/footfall/components/GridCell";
import { cellKey, cellText, lastYearSameWeekday, type Pos } from "@/features/footfall/grid";
import { formatNumber } from "@/lib/format";

export { cellKey };

export type GridStore = {
  id: number;
  name: string;
  editable: boolean;
  /** The hour its business day starts (0: midnight): the hourly grid's first hour. */
  dayStart?: number;
};

/** What is stored for one store-day. */
export type StoredCell = {
  count: number | null;
  closed: boolean;
  unusual: boolean;
  /** Why the count is questioned (the server's words), when it is. */
  reason?: string | null;
  /** The day was entered by the hour: the grid shows the total and does not edit it. */
  hourly: boolean;
};

/** A traded day without an entry, estimated by the server from the same weekday of previous
 * weeks: shown greyed as "est." in its empty cell, never saved as a count. */
export type EstimatedCell = { estimate: number; basis: string };

type Props = {
  stores: GridStore[];
  days: string[];
  stored: Map<string, StoredCell>;
  lastYear: Map<string, StoredCell>;
  /** The week's estimated days, by cellKey. */
  estimates?: Map<string, EstimatedCell>;
  drafts: Map<string, string>;
  errors: Map<string, string>;
  today: string;
  onChange: (changes: { key: string; text: string }[]) => void;
  onPasteIgnored?: (count: number) => void;
  /** Opens a store's week by the hour (from a day entered by the hour). */
  onOpenHours?: (storeId: number) => void;
};

function lastYearText(cell: StoredCell | undefined): string {
  if (!cell) return "–";
  if (cell.closed) return "closed";
  return cell.count === null ? "–" : formatNumber(cell.count);
}

/**
 * Stores down, the week's days across; a cell takes a count, "closed", or nothing. Arrow keys
 * and Enter move between cells, Tab follows the reading order, and a block copied from a
 * spreadsheet is pasted from the focused cell. A day entered by the hour shows its total and
 * opens its hours.
 */
export function FootfallGrid({ stores, days, stored, lastYear, estimates, drafts, errors, today, onChange, onPasteIgnored, onOpenHours }: Props) {
  const names = dayNames();

  const editable = ({ row, col }: Pos): boolean => {
    const store = stores[row];
    const day = days[col];
    if (!store || !day || !store.editable || day > today) return false;
    return !stored.get(cellKey(store.id, day))?.hourly;
  };
  const grid = useGridKeys({
    size: { rows: stores.length, cols: days.length },
    keyAt: ({ row, col }) => {
      const store = stores[row];
      const day = days[col];
      return store && day ? cellKey(store.id, day) : undefined;
    },
    editable,
    saved: (key) => cellText(stored.get(key)),
    onChange,
    onPasteIgnored,
  });

  return (
    <Table withTableBorder withColumnBorders miw={760} className="footfall-grid" data-testid="footfall-grid">
      <DaysHead corner="Store" days={days} />
      <Table.Tbody>
        {stores.map((store, row) => (
          <Table.Tr key={store.id}>
            <Table.Th scope="row" fw={500}>
              {store.name}
            </Table.Th>
            {days.map((day, col) => {
              const key = cellKey(store.id, day);
              const saved = stored.get(key);
              const cell = cellState(key, saved, drafts, errors);
              const estimated = !saved && !cell.value ? estimates?.get(key) : undefined;
              return (
                <GridCell
                  key={day}
                  id={key}
                  pos={{ row, col }}
                  grid={grid}
                  label={`${store.name}, ${names.long(day)}`}
                  cell={cell}
                  closed={cell.parsed.kind === "closed"}
                  readOnly={!editable({ row, col })}
                  title={saved?.hourly ? "Entered by the hour: open its hours to change it" : day > today ? "In the future" : undefined}
                  placeholder={estimated ? `est. ${formatNumber(estimated.estimate)}` : undefined}
                  estimate={estimated?.estimate}
                  onChange={onChange}
                >
                  <Text span size="xs" c="gray.7" title="Same weekday last year">
                    LY {lastYearText(lastYearFor(lastYear, store.id, day))}
                  </Text>
                  {saved?.unusual && cell.draft === undefined && <UnusualMark reason={saved.reason} />}
                  {estimated && (
                    <Text span size="xs" c="gray.7" fs="italic" title={`Estimated: ${estimated.basis}`} data-testid="footfall-estimate">
                      est.
                    </Text>
                  )}
                  {saved?.hourly &&
                    (onOpenHours ? (
                      <Anchor
                        component="button"
                        type="button"
                        size="xs"
                        onClick={() => onOpenHours(store.id)}
                        aria-label={`hourly: open ${store.name}'s hours for this week`}
                      >
                        hourly
                      </Anchor>
                    ) : (
                      <Text span size="xs" c="gray.7">
                        hourly
                      </Text>
                    ))}
                </GridCell>
              );
            })}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function lastYearFor(lastYear: Map<string, StoredCell>, storeId: number, day: string): StoredCell | undefined {
  return lastYear.get(cellKey(storeId, lastYearSameWeekday(day)));
}
