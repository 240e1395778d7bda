// What the day grid and the hourly grid share: the keyboard and paste handling of a spreadsheet
// of inputs, and the cell itself (its input, the line of marks under it and its error).
import { Table, Text, Tooltip } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { type ClipboardEvent, type KeyboardEvent, type ReactNode, useRef } from "react";

import { cellText, fromIso, isBlock, moveFocus, type ParsedCell, parseCell, parseClipboard, pasteBlock, type Pos } from "@/features/footfall/grid";
import { dateFormat, userLocale } from "@/lib/format";

type Change = { key: string; text: string };

export type GridKeys = ReturnType<typeof useGridKeys>;

/**
 * Arrow keys and Enter move between a rows × cols grid's cells, Escape puts back what is saved,
 * and a block copied from a spreadsheet is pasted from the focused cell. `keyAt` names the cell
 * at a position; `saved` is a cell's saved text.
 */
export function useGridKeys({
  size,
  keyAt,
  editable,
  saved,
  onChange,
  onPasteIgnored,
}: {
  size: { rows: number; cols: number };
  keyAt: (pos: Pos) => string | undefined;
  editable: (pos: Pos) => boolean;
  saved: (key: string) => string;
  onChange: (changes: Change[]) => void;
  onPasteIgnored?: (count: number) => void;
}) {
  const inputs = useRef(new Map<string, HTMLInputElement>());

  const register = (key: string) => (el: HTMLInputElement | null) => {
    if (el) inputs.current.set(key, el);
    else inputs.current.delete(key);
  };

  const focus = (pos: Pos) => {
    const key = keyAt(pos);
    const input = key === undefined ? undefined : inputs.current.get(key);
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
      const key = keyAt(pos);
      if (key !== undefined) onChange([{ key, text: saved(key) }]);
    }
  };

  const onPaste = (event: ClipboardEvent<HTMLInputElement>, pos: Pos) => {
    if (!editable(pos)) return;
    const text = event.clipboardData.getData("text/plain");
    if (!isBlock(text)) return; // one value: the input pastes it itself
    event.preventDefault();
    const result = pasteBlock(parseClipboard(text), pos, size, editable);
    onChange(
      result.cells.flatMap(({ pos: p, text: t }) => {
        const key = keyAt(p);
        return key === undefined ? [] : [{ key, text: t }];
      }),
    );
    if (result.ignored > 0) onPasteIgnored?.(result.ignored);
  };

  return { register, onKeyDown, onPaste };
}

const USUAL = "far from this store's usual count for this weekday";

/** The warning sign of a questioned count: the server's reason is its name and its tooltip. */
export function UnusualMark({ reason }: { reason?: string | null }) {
  return (
    <Tooltip label={`Check this count: ${reason ?? USUAL}`} multiline maw={260}>
      <span className="footfall-unusual" role="img" aria-label={`Unusual count: ${reason ?? USUAL}`} tabIndex={0}>
        <IconAlertTriangle size={14} aria-hidden />
      </span>
    </Tooltip>
  );
}

/**
 * A cell as shown: its draft (what was typed, if anything), its text, what that text means,
 * whether it differs from what is saved, and its error (the server's, or the text's own).
 */
export function cellState(
  key: string,
  saved: { count: number | null; closed: boolean } | undefined,
  drafts: Map<string, string>,
  errors: Map<string, string>,
  parse: (text: string) => ParsedCell = parseCell,
) {
  const draft = drafts.get(key);
  const value = draft ?? cellText(saved);
  const parsed = parse(value);
  const error = errors.get(key) ?? (parsed.kind === "invalid" ? parsed.reason : undefined);
  return { draft, value, parsed, changed: draft !== undefined && draft !== cellText(saved), error };
}

type CellProps = {
  id: string;
  pos: Pos;
  grid: GridKeys;
  /** What the input reads out: the store and the day (and hour). */
  label: string;
  /** Its text, whether that is changed, and its error (cellState). */
  cell: { value: string; changed: boolean; error?: string };
  closed: boolean;
  readOnly: boolean;
  title?: string;
  placeholder?: string;
  estimate?: number;
  onChange: (changes: Change[]) => void;
  /** The small marks under the input (last year, unusual, estimated, hourly). */
  children?: ReactNode;
};

/** One cell of a footfall grid: a spreadsheet-like input, its marks and its error. */
export function GridCell({ id, pos, grid, label, cell: { value, changed, error }, closed, readOnly, title, placeholder, estimate, onChange, children }: CellProps) {
  const errorId = `ff-err-${id.replaceAll("|", "-")}`;
  return (
    <Table.Td p={4} data-changed={changed || undefined} data-closed={closed || undefined} data-invalid={error ? true : undefined}>
      <input
        ref={grid.register(id)}
        className="footfall-cell"
        aria-label={label}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        inputMode="numeric"
        autoComplete="off"
        value={value}
        placeholder={placeholder}
        data-estimate={estimate}
        readOnly={readOnly}
        title={title}
        onChange={(e) => onChange([{ key: id, text: e.currentTarget.value }])}
        onKeyDown={(e) => grid.onKeyDown(e, pos)}
        onPaste={(e) => grid.onPaste(e, pos)}
        onFocus={(e) => e.currentTarget.select()}
      />
      {children && <div className="footfall-meta">{children}</div>}
      {error && (
        <Text id={errorId} size="xs" c="red.9" role="alert">
          {error}
        </Text>
      )}
    </Table.Td>
  );
}

/** A day as a column heading ("Mon, Nov 2") and as a cell's name ("Monday, November 2"). */
export function dayNames() {
  const short = dateFormat(userLocale(), { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
  const long = dateFormat(userLocale(), { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
  return { short: (day: string) => short.format(fromIso(day)), long: (day: string) => long.format(fromIso(day)) };
}

/** The grid's heading row: what the rows are, then the week's days (with a note under a day). */
export function DaysHead({
  corner,
  days,
  note,
  cornerClass,
}: {
  corner: string;
  days: string[];
  note?: (day: string) => ReactNode;
  cornerClass?: string;
}) {
  const names = dayNames();
  return (
    <Table.Thead>
      <Table.Tr>
        <Table.Th scope="col" className={cornerClass}>
          {corner}
        </Table.Th>
        {days.map((day) => (
          <Table.Th key={day} scope="col" ta="center">
            {names.short(day)}
            {note?.(day)}
          </Table.Th>
        ))}
      </Table.Tr>
    </Table.Thead>
  );
}
