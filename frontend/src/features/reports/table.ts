// Sorting and searching of report tables, kept apart from the component so they can be tested.
import { compareMetric, type MetricValue } from "@/features/reports/metrics";
import { addDecimals } from "@/lib/decimal";

export type SortDirection = "asc" | "desc";
export type SortState = { column: string; direction: SortDirection };

export type Column<R> = {
  id: string;
  header: string;
  /** The value sorted on: a decimal string (money), a number, text, or null (absent). */
  value: (row: R) => MetricValue;
  /** True for text (sorted alphabetically, left-aligned); false for figures. */
  text?: boolean;
  /** What a search matches in a text column, when not its value (an hour's label, say). */
  search?: (row: R) => string;
};

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

export function sortRows<R>(rows: readonly R[], columns: readonly Column<R>[], sort: SortState | null): R[] {
  const column = sort && columns.find((c) => c.id === sort.column);
  if (!sort || !column) return [...rows];
  const sign = sort.direction === "asc" ? 1 : -1;
  // Array.prototype.sort is stable: equal figures keep the API's order.
  return [...rows].sort((a, b) => {
    const va = column.value(a);
    const vb = column.value(b);
    if (column.text) return sign * collator.compare(String(va ?? ""), String(vb ?? ""));
    return compareMetric(va, vb, sort.direction);
  });
}

function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
}

/** The rows whose text columns contain every word of `query` (case and accents ignored). */
export function searchRows<R>(rows: readonly R[], columns: readonly Column<R>[], query: string): R[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return [...rows];
  const texts = columns.filter((c) => c.text);
  return rows.filter((row) => {
    const haystack = fold(texts.map((c) => (c.search ? c.search(row) : String(c.value(row) ?? ""))).join(" "));
    return words.every((word) => haystack.includes(word));
  });
}

/** The next sort when a header is chosen: figures start high-to-low, text A to Z; again flips. */
export function nextSort<R>(current: SortState | null, column: Column<R>): SortState {
  if (current?.column === column.id) {
    return { column: column.id, direction: current.direction === "asc" ? "desc" : "asc" };
  }
  return { column: column.id, direction: column.text ? "asc" : "desc" };
}

/**
 * The sum of one figure over some rows, from the API's own figures (exactly, for money's decimal
 * strings): what "Total of N shown rows" shows for a figure that adds up. Null when no row has it.
 */
export function addUp(values: readonly MetricValue[]): MetricValue {
  const present = values.filter((v): v is string | number => v !== null && v !== undefined && v !== "");
  if (!present.length) return null;
  if (present.every((v) => typeof v === "string")) return addDecimals(present as string[]);
  return Number(addDecimals(present.map((v) => String(v))));
}
