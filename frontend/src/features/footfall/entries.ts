// Between the API and the grids: stored entries as the cells the grids show, and the typed
// cells as the entries a save sends — including a whole-day figure cleared where hours replace it.
import type { FootfallCell, FootfallEntry } from "@/features/footfall/api";
import type { StoredCell } from "@/features/footfall/components/FootfallGrid";
import { cellKey, cellText, dayKeyOf, hourKey, hourLabel, type ParsedCell, parseCell, splitKey } from "@/features/footfall/grid";

/** Entries by store-day; a day entered by the hour shows its total and is flagged hourly. */
export function byCell(entries: FootfallEntry[] | undefined): Map<string, StoredCell> {
  const cells = new Map<string, StoredCell>();
  for (const e of entries ?? []) {
    const key = cellKey(e.location_id, e.date);
    const reason = e.unusual_reason ?? null;
    if (e.hour === null) {
      cells.set(key, { count: e.count, closed: e.closed, unusual: e.unusual, reason, hourly: false });
    } else {
      const sum = cells.get(key);
      const hour = reason && `${hourLabel(e.hour)}: ${reason}`;
      cells.set(key, {
        count: (sum?.count ?? 0) + (e.count ?? 0),
        closed: false,
        unusual: Boolean(sum?.unusual) || e.unusual,
        reason: sum?.reason ?? hour,
        hourly: true,
      });
    }
  }
  return cells;
}

/** The hourly entries by store-day-hour (hourKey). */
export function byHour(entries: FootfallEntry[] | undefined): Map<string, StoredCell> {
  const cells = new Map<string, StoredCell>();
  for (const e of entries ?? []) {
    if (e.hour === null) continue;
    cells.set(hourKey(e.location_id, e.date, e.hour), {
      count: e.count,
      closed: false,
      unusual: e.unusual,
      reason: e.unusual_reason ?? null,
      hourly: true,
    });
  }
  return cells;
}

/** What a cell's text means; an hour cannot be closed (only a whole day can). */
export function parseKeyed(key: string, text: string): ParsedCell {
  const parsed = parseCell(text);
  if (parsed.kind !== "closed" || splitKey(key).hour === null) return parsed;
  return { kind: "invalid", reason: "An hour cannot be closed: close the whole day in the day view" };
}

/** The saved text of a cell, a store-day or an hour. */
export function savedText(key: string, days: Map<string, StoredCell>, hours: Map<string, StoredCell>): string {
  return cellText(splitKey(key).hour === null ? days.get(key) : hours.get(key));
}

/** A day whose whole-day figure the typed hours replace. */
export type Replaced = { key: string; count: number; hoursTotal: number };

/**
 * The store-days whose whole-day count the typed hours replace: a day with a whole-day count on
 * which at least one hour now has a count. (A closed day takes no hours.)
 */
export function replacedDays(
  drafts: Iterable<[string, string]>,
  days: Map<string, StoredCell>,
  hours: Map<string, StoredCell>,
): Replaced[] {
  const typed = new Set<string>();
  for (const [key, text] of drafts) {
    if (splitKey(key).hour !== null && parseCell(text).kind === "count") typed.add(dayKeyOf(key));
  }
  return [...typed].flatMap((key) => {
    const day = days.get(key);
    if (!day || day.hourly || day.closed || day.count === null) return [];
    return [{ key, count: day.count, hoursTotal: hoursTotal(key, drafts, hours) ?? 0 }];
  });
}

/** The sum of a store-day's hours as typed (saved where not typed), or null with no hour counted. */
export function hoursTotal(dayKey: string, drafts: Iterable<[string, string]>, hours: Map<string, StoredCell>): number | null {
  const { storeId, date } = splitKey(dayKey);
  const typed = new Map(drafts);
  let total: number | null = null;
  for (let hour = 0; hour < 24; hour += 1) {
    const key = hourKey(storeId, date, hour);
    const parsed = parseCell(typed.get(key) ?? cellText(hours.get(key)));
    if (parsed.kind === "count") total = (total ?? 0) + parsed.count;
  }
  return total;
}

/**
 * The cells a save sends for the changed drafts (invalid text left out) and, by position, the
 * key each one came from (a 422 names entries.<i>). Each replaced day's whole-day cell goes along
 * cleared, so the swap is all or nothing.
 */
export function cellsToSave(changed: [string, string][], replaced: Replaced[]): { keys: string[]; entries: FootfallCell[] } {
  const keys: string[] = [];
  const entries: FootfallCell[] = [];
  const cells: [string, string][] = [...replaced.map(({ key }): [string, string] => [key, ""]), ...changed];
  for (const [key, text] of cells) {
    const { storeId, date, hour } = splitKey(key);
    const parsed = parseKeyed(key, text);
    if (parsed.kind === "invalid") continue;
    keys.push(key);
    entries.push({
      location_id: storeId,
      date,
      ...(hour === null ? {} : { hour }),
      count: parsed.kind === "count" ? parsed.count : null,
      closed: parsed.kind === "closed",
    });
  }
  return { keys, entries };
}
