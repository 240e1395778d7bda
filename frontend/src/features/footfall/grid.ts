// The footfall grid's logic, kept free of React so it can be tested directly: what a typed cell
// means, where the arrow keys go, how a block pasted from a spreadsheet lands, and which
// dates a week holds.

/** What the user typed in a cell. */
export type ParsedCell =
  | { kind: "count"; count: number }
  | { kind: "closed" }
  | { kind: "empty" }
  | { kind: "invalid"; reason: string };

export const MAX_COUNT = 1_000_000;
const CLOSED_WORDS = new Set(["closed", "c", "x", "shut"]);

/** A cell's text: a whole number (thousands separators allowed), "closed" (or c / x), or blank. */
export function parseCell(text: string): ParsedCell {
  const value = text.trim().toLowerCase();
  if (value === "") return { kind: "empty" };
  if (CLOSED_WORDS.has(value)) return { kind: "closed" };
  const digits = value.replace(/[\s,.'_\u00a0\u202f](?=\d{3}(\D|$))/g, "");
  if (!/^\d+$/.test(digits)) {
    return { kind: "invalid", reason: `“${text.trim()}” is not a whole number (or “closed”)` };
  }
  const count = Number(digits);
  if (count > MAX_COUNT) return { kind: "invalid", reason: `${count} is more than ${MAX_COUNT}` };
  return { kind: "count", count };
}

/** The text a stored entry shows in its cell. */
export function cellText(entry: { count: number | null; closed: boolean } | undefined): string {
  if (!entry) return "";
  if (entry.closed) return "closed";
  return entry.count === null ? "" : String(entry.count);
}

export type Pos = { row: number; col: number };

/**
 * Where a key moves the focus in a rows × cols grid, or null when the key is not a move (or
 * would leave the grid). Left and right move only when the caret is at the text's edge, so they
 * still move the caret inside a typed number.
 */
export function moveFocus(
  pos: Pos,
  key: string,
  size: { rows: number; cols: number },
  caret: { atStart: boolean; atEnd: boolean } = { atStart: true, atEnd: true },
): Pos | null {
  let { row, col } = pos;
  switch (key) {
    case "ArrowUp":
      row -= 1;
      break;
    case "ArrowDown":
    case "Enter":
      row += 1;
      break;
    case "ArrowLeft":
      if (!caret.atStart) return null;
      col -= 1;
      break;
    case "ArrowRight":
      if (!caret.atEnd) return null;
      col += 1;
      break;
    default:
      return null;
  }
  if (row < 0 || col < 0 || row >= size.rows || col >= size.cols) return null;
  return { row, col };
}

/** Clipboard text from a spreadsheet as rows of cells (tab-separated, one line per row). */
export function parseClipboard(text: string): string[][] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  // Spreadsheets end a copied block with a newline.
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.map((line) => line.split("\t"));
}

/** Whether clipboard text is a block (several cells) rather than one value. */
export function isBlock(text: string): boolean {
  return /[\t\n\r]/.test(text.replace(/[\r\n]+$/, ""));
}

export type PasteResult = {
  /** The cells to set, by position. */
  cells: { pos: Pos; text: string }[];
  /** Values that fell outside the grid or on a cell that cannot be edited. */
  ignored: number;
};

/** Lays a pasted block out from `start`; cells off the grid or not editable are left alone. */
export function pasteBlock(
  block: string[][],
  start: Pos,
  size: { rows: number; cols: number },
  editable: (pos: Pos) => boolean = () => true,
): PasteResult {
  const cells: PasteResult["cells"] = [];
  let ignored = 0;
  block.forEach((line, r) => {
    line.forEach((text, c) => {
      const pos = { row: start.row + r, col: start.col + c };
      if (pos.row >= size.rows || pos.col >= size.cols || !editable(pos)) {
        ignored += 1;
        return;
      }
      cells.push({ pos, text: text.trim() });
    });
  });
  return { cells, ignored };
}

// --- cells by key: a store-day ("4|2026-03-02") or one of its hours ("4|2026-03-02|9") ---------

export const cellKey = (storeId: number, date: string) => `${storeId}|${date}`;
export const hourKey = (storeId: number, date: string, hour: number) => `${storeId}|${date}|${hour}`;

/** A cell key's store, date and hour (null: the whole day). */
export function splitKey(key: string): { storeId: number; date: string; hour: number | null } {
  const [storeId, date, hour] = key.split("|");
  return { storeId: Number(storeId), date: date ?? "", hour: hour === undefined ? null : Number(hour) };
}

/** The day a cell key belongs to: itself for a store-day, the hour's day for an hour. */
export function dayKeyOf(key: string): string {
  const { storeId, date } = splitKey(key);
  return cellKey(storeId, date);
}

/** The hours a shop floor usually sees counted when nothing says otherwise: 06:00 to 22:00. */
export const DEFAULT_HOURS = { from: 6, to: 22 } as const;

/**
 * The rows of the hourly grid: the local clock hours in the order of the store's business day
 * (from its start hour, so a late bar's 01:00 comes after 23:00), either all 24 or the default
 * range — plus every hour that holds a count, which is never hidden.
 */
export function dayHours(dayStart: number, all: boolean, filled: Iterable<number> = []): number[] {
  const keep = new Set(filled);
  return Array.from({ length: 24 }, (_, i) => (dayStart + i) % 24).filter(
    (hour) => all || keep.has(hour) || (hour >= DEFAULT_HOURS.from && hour < DEFAULT_HOURS.to),
  );
}

/** "09:00": an hour as a row label. */
export function hourLabel(hour: number): string {
  return `${String(hour).padStart(2, "0")}:00`;
}

// --- dates: ISO yyyy-mm-dd, computed in UTC so no timezone shifts a day -------------------------

export function toIso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function fromIso(iso: string): Date {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1));
}

export function addDays(iso: string, days: number): string {
  const date = fromIso(iso);
  date.setUTCDate(date.getUTCDate() + days);
  return toIso(date);
}

/** The Monday of the week holding `iso`. */
export function startOfWeek(iso: string): string {
  const weekday = (fromIso(iso).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(iso, -weekday);
}

/** The 7 dates of the week starting on `monday`. */
export function weekDays(monday: string): string[] {
  return Array.from({ length: 7 }, (_, i) => addDays(monday, i));
}

/** The same weekday a year before: 52 weeks back. */
export function lastYearSameWeekday(iso: string): string {
  return addDays(iso, -364);
}

/** Today in the browser's timezone, as ISO. */
export function localToday(now: Date = new Date()): string {
  return toIso(new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate())));
}

/** Whether a string is an ISO date. */
export function isIsoDate(value: string | null): value is string {
  return value !== null && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(fromIso(value).getTime());
}
