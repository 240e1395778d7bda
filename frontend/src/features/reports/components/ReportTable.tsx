import { Button, Group, Table, Text, TextInput, UnstyledButton, VisuallyHidden } from "@mantine/core";
import { IconArrowDown, IconArrowUp, IconArrowsSort, IconSearch } from "@tabler/icons-react";
import { type ReactNode, useMemo, useState } from "react";

import { MetricInfo } from "@/features/catalog/components/MetricInfo";
import {
  type Column,
  nextSort,
  searchRows,
  sortRows,
  type SortState,
} from "@/features/reports/table";

export type TableColumn<R> = Column<R> & {
  /** The cell's content; the value as text when absent. */
  render?: (row: R) => ReactNode;
  /** The catalog metric the column shows: its header gets the glossary's "i" button. */
  metric?: string;
  /** A row header's accessible name, where its cell holds more than its text (an "i" button). */
  name?: (row: R) => string;
};

type Props<R> = {
  caption: string;
  rows: readonly R[];
  rowKey: (row: R) => string;
  columns: readonly TableColumn<R>[];
  initialSort?: SortState | null;
  /** Last rows of totals (not sorted or searched): one row, or the rows for the rows a search
   * leaves (`shown`; `filtered` when a search left out some). */
  footer?: ReactNode[] | ((shown: readonly R[], filtered: boolean) => ReactNode[][]);
  searchLabel?: string;
  pageSize?: number;
  testId?: string;
  /** Something to show beside the search box (an export button). */
  actions?: ReactNode;
};

/** A report table: sortable by any column from the keyboard, searchable, paged for long lists. */
export function ReportTable<R>({
  caption,
  rows,
  rowKey,
  columns,
  initialSort = null,
  footer,
  searchLabel = "Search",
  pageSize = 100,
  testId,
  actions,
}: Props<R>) {
  const [sort, setSort] = useState<SortState | null>(initialSort);
  const [query, setQuery] = useState("");
  const [limit, setLimit] = useState(pageSize);
  const shown = useMemo(
    () => sortRows(searchRows(rows, columns, query), columns, sort),
    [rows, columns, query, sort],
  );
  const visible = shown.slice(0, limit);
  const footRows = typeof footer === "function" ? footer(shown, shown.length !== rows.length) : footer ? [footer] : [];

  return (
    <div data-testid={testId}>
      <Group justify="space-between" align="flex-end" mb="xs" gap="sm" wrap="wrap">
        <TextInput
          label={searchLabel}
          leftSection={<IconSearch size={16} aria-hidden />}
          value={query}
          onChange={(e) => {
            setQuery(e.currentTarget.value);
            setLimit(pageSize);
          }}
          w={260}
          type="search"
        />
        {actions}
      </Group>
      {/* Narrow enough that the league table's nine columns fit beside the navigation at 1440 px. */}
      <Table.ScrollContainer minWidth={Math.min(160 + columns.length * 100, 1400)}>
        <Table striped highlightOnHover stickyHeader verticalSpacing="xs" fz="sm" className="report-table">
          <caption className="visually-hidden">{caption}</caption>
          <Table.Thead>
            <Table.Tr>
              {columns.map((column) => {
                const active = sort?.column === column.id;
                const ariaSort = active ? (sort.direction === "asc" ? "ascending" : "descending") : "none";
                const Icon = !active ? IconArrowsSort : sort.direction === "asc" ? IconArrowUp : IconArrowDown;
                return (
                  <Table.Th
                    key={column.id}
                    aria-sort={ariaSort}
                    ta={column.text ? "left" : "right"}
                    className={column === columns[0] ? "sticky-col" : undefined}
                  >
                    <Group gap={2} wrap="nowrap" justify={column.text ? "flex-start" : "flex-end"}>
                      <UnstyledButton
                        onClick={() => setSort(nextSort(sort, column))}
                        className="sort-button"
                        fz="sm"
                        fw={600}
                      >
                        <Group gap={4} wrap="nowrap" justify={column.text ? "flex-start" : "flex-end"}>
                          <span>{column.header}</span>
                          <Icon size={14} aria-hidden />
                        </Group>
                      </UnstyledButton>
                      {column.metric && <MetricInfo name={column.metric} />}
                    </Group>
                  </Table.Th>
                );
              })}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {visible.map((row) => (
              <Table.Tr key={rowKey(row)}>
                {columns.map((column, i) => {
                  const content = column.render ? column.render(row) : String(column.value(row) ?? "");
                  const align = column.text ? "left" : "right";
                  return i === 0 ? (
                    <Table.Th
                      key={column.id}
                      scope="row"
                      fw={500}
                      ta={align}
                      className="sticky-col"
                      aria-label={column.name?.(row)}
                    >
                      {content}
                    </Table.Th>
                  ) : (
                    <Table.Td key={column.id} ta={align} className="figure">
                      {content}
                    </Table.Td>
                  );
                })}
              </Table.Tr>
            ))}
            {visible.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={columns.length}>
                  <Text c="gray.7" size="sm" py="sm">
                    {rows.length === 0 ? "No sales in this period." : `Nothing matches “${query}”.`}
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
          {footRows.length > 0 && (
            <Table.Tfoot>
              {footRows.map((cells, r) => (
                <Table.Tr key={r} fw={700}>
                  {cells.map((cell, i) =>
                    i === 0 ? (
                      <Table.Th key={i} scope="row" className="sticky-col">
                        {cell}
                      </Table.Th>
                    ) : (
                      <Table.Td key={i} ta="right" className="figure">
                        {cell}
                      </Table.Td>
                    ),
                  )}
                </Table.Tr>
              ))}
            </Table.Tfoot>
          )}
        </Table>
      </Table.ScrollContainer>
      <Group justify="space-between" mt="xs">
        <Text size="sm" c="gray.7" role="status">
          {shown.length === rows.length
            ? `${rows.length} ${rows.length === 1 ? "row" : "rows"}`
            : `${shown.length} of ${rows.length} rows match`}
          {shown.length > visible.length && `, showing the first ${visible.length}`}
        </Text>
        {shown.length > visible.length && (
          <Button variant="subtle" size="xs" onClick={() => setLimit((n) => n + pageSize)}>
            Show {Math.min(pageSize, shown.length - visible.length)} more
            <VisuallyHidden> rows</VisuallyHidden>
          </Button>
        )}
      </Group>
    </div>
  );
}
