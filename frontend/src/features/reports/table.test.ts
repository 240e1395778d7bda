import { describe, expect, it } from "vitest";

import { addUp, type Column, nextSort, searchRows, sortRows } from "@/features/reports/table";

type Row = { label: string; net: string | null; conv: number | null };

const rows: Row[] = [
  { label: "Quay Street", net: "950.00", conv: 0.21 },
  { label: "Café Mercé", net: "1200.50", conv: null },
  { label: "Dublin Docks", net: "99.99", conv: 0.34 },
  { label: "store 10", net: null, conv: 0.1 },
  { label: "store 9", net: "1200.50", conv: 0.05 },
];
const columns: Column<Row>[] = [
  { id: "label", header: "Store", text: true, value: (r) => r.label },
  { id: "net", header: "Net sales", value: (r) => r.net },
  { id: "conv", header: "Conversion", value: (r) => r.conv },
];
const labels = (list: Row[]) => list.map((r) => r.label);

describe("sortRows", () => {
  it("sorts money by value (not text), ties keeping their order, absent last", () => {
    expect(labels(sortRows(rows, columns, { column: "net", direction: "desc" }))).toEqual([
      "Café Mercé",
      "store 9",
      "Quay Street",
      "Dublin Docks",
      "store 10",
    ]);
    expect(labels(sortRows(rows, columns, { column: "net", direction: "asc" }))[0]).toBe("Dublin Docks");
    expect(labels(sortRows(rows, columns, { column: "net", direction: "asc" })).at(-1)).toBe("store 10");
  });

  it("sorts ratios, and text naturally ignoring case and accents", () => {
    expect(labels(sortRows(rows, columns, { column: "conv", direction: "desc" }))).toEqual([
      "Dublin Docks",
      "Quay Street",
      "store 10",
      "store 9",
      "Café Mercé",
    ]);
    expect(labels(sortRows(rows, columns, { column: "label", direction: "asc" }))).toEqual([
      "Café Mercé",
      "Dublin Docks",
      "Quay Street",
      "store 9",
      "store 10",
    ]);
  });

  it("keeps the given order with no sort or an unknown column", () => {
    expect(sortRows(rows, columns, null)).toEqual(rows);
    expect(sortRows(rows, columns, { column: "nope", direction: "asc" })).toEqual(rows);
  });
});

describe("searchRows", () => {
  it("matches every word in the text columns, ignoring case and accents", () => {
    expect(labels(searchRows(rows, columns, "cafe"))).toEqual(["Café Mercé"]);
    expect(labels(searchRows(rows, columns, "STORE 1"))).toEqual(["store 10"]);
    expect(labels(searchRows(rows, columns, "docks dublin"))).toEqual(["Dublin Docks"]);
    expect(searchRows(rows, columns, "  ")).toHaveLength(5);
    expect(searchRows(rows, columns, "1200")).toHaveLength(0); // figures are not searched
  });

  it("uses a column's own search text when it has one", () => {
    const hours: Column<{ key: string; label: string }>[] = [
      { id: "label", header: "Hour", text: true, value: (r) => r.key, search: (r) => r.label },
    ];
    expect(searchRows([{ key: "09", label: "09:00" }, { key: "10", label: "10:00" }], hours, "10:")).toEqual([
      { key: "10", label: "10:00" },
    ]);
  });
});

describe("nextSort", () => {
  it("starts figures high to low and text A to Z, and flips on a second choice", () => {
    const [label, net] = columns as [Column<Row>, Column<Row>];
    expect(nextSort(null, net)).toEqual({ column: "net", direction: "desc" });
    expect(nextSort(null, label)).toEqual({ column: "label", direction: "asc" });
    expect(nextSort({ column: "net", direction: "desc" }, net)).toEqual({ column: "net", direction: "asc" });
  });
});

describe("addUp", () => {
  it("adds the API's money exactly and counts as numbers; nothing to add is absent", () => {
    expect(addUp(["0.10", "0.20", null, "-0.05"])).toBe("0.25");
    expect(addUp(["70905.77", "-70905.77"])).toBe("0.00");
    expect(addUp(["1.5", "2.25"])).toBe("3.75");
    expect(addUp([3, 4.5, undefined])).toBe(7.5);
    expect(addUp([null, undefined])).toBeNull();
  });
});
