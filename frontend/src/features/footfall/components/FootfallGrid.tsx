import { Table, Text, Tooltip } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { type ClipboardEvent, type KeyboardEvent, useRef } from "react";

import {
  fromIso,
  isBlock,
  lastYearSameWeekday,
  moveFocus,
  parseCell,
  parseClipboard,
  pasteBlock,
  type Pos,
} from "@/features/footfall/grid";
import { formatNumber, userLocale } from "@/lib/format";

export type GridStore = { id: number; name: string; editable: boolean };

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

export const cellKey = (storeId: number, date: string) => `${storeId}|${date}`;

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
};

function storedText(cell: StoredCell | undefined): string {
  if (!cell) return "";
  if (cell.closed) return "closed";
  return cell.count === null ? "" : String(cell.count);
}

function lastYearText(cell: StoredCell | undefined): string {
  if (!cell) return "–";
  if (cell.closed) return "closed";
  return cell.count === null ? "–" : formatNumber(cell.count);
}

/**
 * Stores down, the week's days across; a cell takes a count, "closed", or nothing. Arrow keys
 * and Enter move between cells, Tab follows the reading order, and a block copied from a
 * spreadsheet is pasted from the focused cell.
 */
export function FootfallGrid({ stores, days, stored, lastYear, estimates, drafts, errors, today, onChange, onPasteIgnored }: Props) {
  const inputs = useRef(new Map<string, HTMLInputElement>());
  const size = { rows: stores.length, cols: days.length };
  const dayFormat = new Intl.DateTimeFormat(userLocale(), { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
  const longFormat = new Intl.DateTimeFormat(userLocale(), { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });

  const editable = ({ row, col }: Pos): boolean => {
    const store = stores[row];
    const day = days[col];
    if (!store || !day || !store.editable || day > today) return false;
    return !stored.get(cellKey(store.id, day))?.hourly;
  };

  const focus = (pos: Pos) => {
    const store = stores[pos.row];
    const day = days[pos.col];
    if (!store || !day) return;
    const input = inputs.current.get(cellKey(store.id, day));
    input?.focus();
    input?.select();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>, pos: Pos) => {
    const input = event.currentTarget;
    const start = input.selectionStart ?? 0;
    const end = input.selectionEnd ?? 0;
    const whole = start === 0 && end === input.value.length;
    const next = moveFocus(pos, event.key, size, {
      atStart: whole || (start === 0 && end === 0),
      atEnd: whole || start === input.value.length,
    });
    if (next) {
      event.preventDefault();
      focus(next);
    } else if (event.key === "Escape") {
      const store = stores[pos.row];
      const day = days[pos.col];
      // Escape puts back what is saved.
      if (store && day) onChange([{ key: cellKey(store.id, day), text: storedText(stored.get(cellKey(store.id, day))) }]);
    }
  };

  const onPaste = (event: ClipboardEvent<HTMLInputElement>, pos: Pos) => {
    const text = event.clipboardData.getData("text/plain");
    if (!isBlock(text)) return; // one value: the input pastes it itself
    event.preventDefault();
    const result = pasteBlock(parseClipboard(text), pos, size, editable);
    onChange(
      result.cells.flatMap(({ pos: p, text: t }) => {
        const store = stores[p.row];
        const day = days[p.col];
        return store && day ? [{ key: cellKey(store.id, day), text: t }] : [];
      }),
    );
    if (result.ignored > 0) onPasteIgnored?.(result.ignored);
  };

  return (
    <Table withTableBorder withColumnBorders miw={760} className="footfall-grid" data-testid="footfall-grid">
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Store</Table.Th>
          {days.map((day) => (
            <Table.Th key={day} scope="col" ta="center">
              {dayFormat.format(fromIso(day))}
            </Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {stores.map((store, row) => (
          <Table.Tr key={store.id}>
            <Table.Th scope="row" fw={500}>
              {store.name}
            </Table.Th>
            {days.map((day, col) => {
              const key = cellKey(store.id, day);
              const saved = stored.get(key);
              const draft = drafts.get(key);
              const value = draft ?? storedText(saved);
              const parsed = parseCell(value);
              const error = errors.get(key) ?? (parsed.kind === "invalid" ? parsed.reason : undefined);
              const canEdit = editable({ row, col });
              const changed = draft !== undefined && draft !== storedText(saved);
              const label = `${store.name}, ${longFormat.format(fromIso(day))}`;
              const errorId = `ff-err-${store.id}-${day}`;
              const estimated = !saved && !value ? estimates?.get(key) : undefined;
              return (
                <Table.Td
                  key={day}
                  p={4}
                  data-changed={changed || undefined}
                  data-closed={parsed.kind === "closed" || undefined}
                  data-invalid={error ? true : undefined}
                >
                  <input
                    ref={(el) => {
                      if (el) inputs.current.set(key, el);
                      else inputs.current.delete(key);
                    }}
                    className="footfall-cell"
                    aria-label={label}
                    aria-invalid={error ? true : undefined}
                    aria-describedby={error ? errorId : undefined}
                    inputMode="numeric"
                    autoComplete="off"
                    value={value}
                    placeholder={estimated ? `est. ${formatNumber(estimated.estimate)}` : undefined}
                    data-estimate={estimated?.estimate}
                    readOnly={!canEdit}
                    title={saved?.hourly ? "Entered by the hour: edit the hours to change it" : day > today ? "In the future" : undefined}
                    onChange={(e) => onChange([{ key, text: e.currentTarget.value }])}
                    onKeyDown={(e) => onKeyDown(e, { row, col })}
                    onPaste={(e) => canEdit && onPaste(e, { row, col })}
                    onFocus={(e) => e.currentTarget.select()}
                  />
                  <div className="footfall-meta">
                    <Text span size="xs" c="gray.7" title="Same weekday last year">
                      LY {lastYearText(lastYearFor(lastYear, store.id, day))}
                    </Text>
                    {saved?.unusual && draft === undefined && (
                      <Tooltip label={`Check this count: ${saved.reason ?? "far from this store's usual count for this weekday"}`} multiline maw={260}>
                        <span
                          className="footfall-unusual"
                          role="img"
                          aria-label={`Unusual count: ${saved.reason ?? "far from this store's usual count for this weekday"}`}
                          tabIndex={0}
                        >
                          <IconAlertTriangle size={14} aria-hidden />
                        </span>
                      </Tooltip>
                    )}
                    {estimated && (
                      <Text span size="xs" c="gray.7" fs="italic" title={`Estimated: ${estimated.basis}`} data-testid="footfall-estimate">
                        est.
                      </Text>
                    )}
                    {saved?.hourly && (
                      <Text span size="xs" c="gray.7">
                        hourly
                      </Text>
                    )}
                  </div>
                  {error && (
                    <Text id={errorId} size="xs" c="red.9" role="alert">
                      {error}
                    </Text>
                  )}
                </Table.Td>
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
