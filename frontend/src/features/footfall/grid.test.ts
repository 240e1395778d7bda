import {
  addDays,
  dayHours,
  hourKey,
  splitKey,
  isBlock,
  lastYearSameWeekday,
  moveFocus,
  parseCell,
  parseClipboard,
  pasteBlock,
  startOfWeek,
  weekDays,
} from "@/features/footfall/grid";

const size = { rows: 3, cols: 7 };

describe("parseCell", () => {
  it("reads whole numbers, with or without thousands separators", () => {
    expect(parseCell("412")).toEqual({ kind: "count", count: 412 });
    expect(parseCell(" 1,204 ")).toEqual({ kind: "count", count: 1204 });
    expect(parseCell("0")).toEqual({ kind: "count", count: 0 });
  });
  it("reads closed days and blanks", () => {
    expect(parseCell("closed")).toEqual({ kind: "closed" });
    expect(parseCell("C")).toEqual({ kind: "closed" });
    expect(parseCell("  ")).toEqual({ kind: "empty" });
  });
  it("refuses anything else, saying why", () => {
    expect(parseCell("12.5")).toMatchObject({ kind: "invalid" });
    expect(parseCell("-3")).toMatchObject({ kind: "invalid" });
    expect(parseCell("lots")).toMatchObject({ kind: "invalid", reason: expect.stringContaining("lots") });
    expect(parseCell("2000000")).toMatchObject({ kind: "invalid" });
  });
});

describe("moveFocus", () => {
  it("moves with the arrows and Enter, staying inside the grid", () => {
    expect(moveFocus({ row: 1, col: 1 }, "ArrowUp", size)).toEqual({ row: 0, col: 1 });
    expect(moveFocus({ row: 1, col: 1 }, "ArrowDown", size)).toEqual({ row: 2, col: 1 });
    expect(moveFocus({ row: 1, col: 1 }, "Enter", size)).toEqual({ row: 2, col: 1 });
    expect(moveFocus({ row: 1, col: 1 }, "ArrowLeft", size)).toEqual({ row: 1, col: 0 });
    expect(moveFocus({ row: 1, col: 1 }, "ArrowRight", size)).toEqual({ row: 1, col: 2 });
    expect(moveFocus({ row: 0, col: 0 }, "ArrowUp", size)).toBeNull();
    expect(moveFocus({ row: 2, col: 6 }, "ArrowRight", size)).toBeNull();
    expect(moveFocus({ row: 2, col: 6 }, "Enter", size)).toBeNull();
  });
  it("lets left and right move the caret inside a number first", () => {
    const middle = { atStart: false, atEnd: false };
    expect(moveFocus({ row: 1, col: 1 }, "ArrowLeft", size, middle)).toBeNull();
    expect(moveFocus({ row: 1, col: 1 }, "ArrowRight", size, middle)).toBeNull();
    expect(moveFocus({ row: 1, col: 1 }, "ArrowRight", size, { atStart: false, atEnd: true })).toEqual({ row: 1, col: 2 });
  });
  it("ignores other keys (Tab is the browser's)", () => {
    expect(moveFocus({ row: 1, col: 1 }, "Tab", size)).toBeNull();
    expect(moveFocus({ row: 1, col: 1 }, "5", size)).toBeNull();
  });
});

describe("pasting a block from a spreadsheet", () => {
  it("splits rows and tabs, dropping the trailing newline", () => {
    expect(parseClipboard("1\t2\t3\r\n4\t5\t6\r\n")).toEqual([
      ["1", "2", "3"],
      ["4", "5", "6"],
    ]);
    expect(isBlock("1\t2")).toBe(true);
    expect(isBlock("1\n2")).toBe(true);
    expect(isBlock("412\n")).toBe(false);
    expect(isBlock("412")).toBe(false);
  });
  it("lays the block out from the focused cell and leaves out what does not fit", () => {
    const block = parseClipboard("10\t11\t12\n20\t21\t22\n30\t31\t32\n");
    const result = pasteBlock(block, { row: 1, col: 5 }, size);
    expect(result.cells).toEqual([
      { pos: { row: 1, col: 5 }, text: "10" },
      { pos: { row: 1, col: 6 }, text: "11" },
      { pos: { row: 2, col: 5 }, text: "20" },
      { pos: { row: 2, col: 6 }, text: "21" },
    ]);
    expect(result.ignored).toBe(5);
  });
  it("skips cells that cannot be edited", () => {
    const result = pasteBlock([["1", "2", "3"]], { row: 0, col: 0 }, size, ({ col }) => col !== 1);
    expect(result.cells.map((c) => c.text)).toEqual(["1", "3"]);
    expect(result.ignored).toBe(1);
  });
});

describe("week dates", () => {
  it("starts weeks on Monday and lists seven days", () => {
    expect(startOfWeek("2026-03-05")).toBe("2026-03-02"); // a Thursday
    expect(startOfWeek("2026-03-08")).toBe("2026-03-02"); // the Sunday
    expect(startOfWeek("2026-03-02")).toBe("2026-03-02");
    expect(weekDays("2026-03-30")).toEqual([
      "2026-03-30", "2026-03-31", "2026-04-01", "2026-04-02", "2026-04-03", "2026-04-04", "2026-04-05",
    ]);
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
  });
  it("compares with the same weekday last year", () => {
    const day = "2026-03-05";
    const ly = lastYearSameWeekday(day);
    expect(ly).toBe("2025-03-06");
    expect(new Date(ly).getUTCDay()).toBe(new Date(day).getUTCDay());
  });
});

describe("dayHours", () => {
  it("shows 06:00 to 21:00 by default, every hour on asking, and never hides an hour with a count", () => {
    expect(dayHours(0, false)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    expect(dayHours(0, true)).toHaveLength(24);
    expect(dayHours(0, false, [2, 23, 9])).toEqual([2, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23]);
  });
  it("follows the store's business day: a late bar's small hours come after 23:00", () => {
    expect(dayHours(4, true).slice(0, 2)).toEqual([4, 5]);
    expect(dayHours(4, true).slice(-4)).toEqual([0, 1, 2, 3]);
    expect(dayHours(4, false, [1]).slice(-2)).toEqual([21, 1]);
  });
});

describe("splitKey", () => {
  it("reads a store-day's key and an hour's", () => {
    expect(splitKey("4|2026-03-02")).toEqual({ storeId: 4, date: "2026-03-02", hour: null });
    expect(splitKey(hourKey(4, "2026-03-02", 0))).toEqual({ storeId: 4, date: "2026-03-02", hour: 0 });
  });
});
