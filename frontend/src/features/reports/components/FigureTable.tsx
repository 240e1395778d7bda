import { Group, NativeSelect, Stack, Text } from "@mantine/core";
import { type ReactNode, useMemo, useState } from "react";

import { ReportTable, type TableColumn } from "@/features/reports/components/ReportTable";
import {
  changeColor,
  changeTone,
  formatMetric,
  formatMetricChange,
  metricAddsUp,
  metricLabel,
  type MetricValue,
  type MetricValues,
  NO_FIGURE,
  RETURNS_EXCEEDED_SALES,
  returnsExceededSales,
} from "@/features/reports/metrics";
import { addUp, type SortState } from "@/features/reports/table";

/** A row of a report table: a breakdown's row, or a day (week, month) of the series. */
export type FigureRow = {
  key: string;
  label: string;
  metrics: MetricValues;
  /** The key's figures in the comparison period (null: it had none there). */
  comparison?: MetricValues | null;
  /** The API's change per figure (fractions), as the summary's. */
  change?: Record<string, number | null> | null;
  /** Store-days of the row whose footfall is estimated (marked "est." when included). */
  footfall_estimated_days?: number | null;
};

/** The whole period's figures, as the API gives them (the breakdown's total or the summary). */
export type FigureTotals = {
  metrics: MetricValues;
  comparison: MetricValues | null;
  change: Record<string, number | null> | null;
};

type Props = {
  caption: string;
  /** The first column's header ("Hour") and what one row is, in a sentence ("hour"). */
  header: string;
  noun: string;
  figures: readonly string[];
  currency: string;
  rows: readonly FigureRow[];
  totals: FigureTotals;
  /** The comparison's name ("Previous period"); null: no comparison columns. */
  compareLabel: string | null;
  /** The first column's sort value, when not its label (hours and days sort in their order). */
  order?: (row: FigureRow) => string;
  initialSort: SortState;
  searchLabel: string;
  testId: string;
  actions?: ReactNode;
  /** Estimated footfall is in the figures (footfall_estimates=include): rows with estimated
   * store-days show their footfall greyed as "est.". */
  estimatesIncluded?: boolean;
};

const BEFORE = "before:";
const CHANGE = "change:";

/** A figure as the page shows it: an average below zero (returns exceeded sales) as the absent
 * mark with the reason, everything else as the API gives it (metrics.ts `returnsExceededSales`). */
function figure(name: string, value: MetricValue, currency: string, noun: string): ReactNode {
  if (returnsExceededSales(name, value)) {
    return (
      <Text span size="sm" title={`${RETURNS_EXCEEDED_SALES} in this ${noun}`} data-returns-exceeded-sales="">
        {NO_FIGURE}*
      </Text>
    );
  }
  return formatMetric(name, value, currency);
}

function change(name: string, value: number | null | undefined): ReactNode {
  return (
    <Text span size="sm" c={changeColor(name, value)} data-tone={changeTone(name, value)}>
      {formatMetricChange(value)}
    </Text>
  );
}

/** The sortable value of a figure: an average shown as absent sorts as absent. */
function sortable(name: string, value: MetricValue): MetricValue {
  return returnsExceededSales(name, value) ? null : value;
}

const NOT_ADDED = (
  <Text span size="sm" title="An average or a change is not added up over rows: see the whole period">
    {NO_FIGURE}
  </Text>
);

/**
 * A report table of figures per row with, under a comparison, three columns for one figure at
 * a time (chosen beside the search): this period, the comparison and the change, coloured by
 * whether a rise is good news. Under a search the total row adds up only the figures that add up,
 * from the API's own row figures, and says so; the whole period's total stays beneath it.
 */
export function FigureTable({
  caption,
  header,
  noun,
  figures,
  currency,
  rows,
  totals,
  compareLabel,
  order,
  initialSort,
  searchLabel,
  testId,
  actions,
  estimatesIncluded = false,
}: Props) {
  const [compareOn, setCompareOn] = useState<string>(figures[0] ?? "net_sales");
  const compared = compareLabel !== null && figures.includes(compareOn) ? compareOn : null;
  const columns = useMemo<TableColumn<FigureRow>[]>(() => {
    const first: TableColumn<FigureRow> = {
      id: "label",
      header,
      text: true,
      value: (row) => (order ? order(row) : row.label),
      search: (row) => row.label,
      render: (row) => row.label,
    };
    const out: TableColumn<FigureRow>[] = [first];
    for (const name of figures) {
      out.push({
        id: name,
        header: metricLabel(name, true),
        metric: name,
        value: (row) => sortable(name, row.metrics[name]),
        render: (row) =>
          name === "footfall" && estimatesIncluded && (row.footfall_estimated_days ?? 0) > 0 ? (
            <Text span size="sm" c="gray.7" fs="italic" data-estimated="" title={`Includes ${row.footfall_estimated_days} estimated store-day(s)`}>
              {figure(name, row.metrics[name], currency, noun)} est.
            </Text>
          ) : (
            figure(name, row.metrics[name], currency, noun)
          ),
      });
      if (name !== compared) continue;
      out.push(
        {
          id: `${BEFORE}${name}`,
          header: compareLabel ?? "",
          value: (row) => sortable(name, row.comparison?.[name]),
          render: (row) => figure(name, row.comparison?.[name], currency, noun),
        },
        {
          id: `${CHANGE}${name}`,
          header: "Change",
          value: (row) => row.change?.[name] ?? null,
          render: (row) => change(name, row.change?.[name]),
        },
      );
    }
    return out;
  }, [header, figures, order, currency, noun, compared, compareLabel, estimatesIncluded]);

  const totalCells = (values: (id: string) => ReactNode) => columns.slice(1).map((c) => values(c.id));
  const whole = (id: string): ReactNode => {
    if (id.startsWith(CHANGE)) return change(id.slice(CHANGE.length), totals.change?.[id.slice(CHANGE.length)]);
    if (id.startsWith(BEFORE)) {
      const name = id.slice(BEFORE.length);
      return figure(name, totals.comparison?.[name], currency, "period");
    }
    return figure(id, totals.metrics[id], currency, "period");
  };
  const footer = (shown: readonly FigureRow[], filtered: boolean): ReactNode[][] => {
    if (!filtered) return [["Total", ...totalCells(whole)]];
    const added = (id: string): ReactNode => {
      if (id.startsWith(CHANGE)) return NOT_ADDED;
      const before = id.startsWith(BEFORE);
      const name = before ? id.slice(BEFORE.length) : id;
      if (!metricAddsUp(name)) return NOT_ADDED;
      const sum = addUp(shown.map((row) => (before ? row.comparison?.[name] : row.metrics[name])));
      return formatMetric(name, sum, currency);
    };
    const n = shown.length;
    return [
      [`Total of ${n} shown ${n === 1 ? "row" : "rows"}`, ...totalCells(added)],
      [`Whole period (all ${rows.length} rows)`, ...totalCells(whole)],
    ];
  };
  const flagged = figures.some(
    (name) =>
      returnsExceededSales(name, totals.metrics[name]) ||
      rows.some((row) => returnsExceededSales(name, row.metrics[name]) || returnsExceededSales(name, row.comparison?.[name])),
  );
  const picker =
    compareLabel !== null && figures.length > 1 ? (
      <NativeSelect
        label="Compare on"
        value={compared ?? ""}
        onChange={(e) => setCompareOn(e.currentTarget.value)}
        data={figures.map((name) => ({ value: name, label: metricLabel(name) }))}
        w={200}
      />
    ) : null;
  return (
    <Stack gap={4}>
      <ReportTable
        key={testId}
        caption={caption}
        rows={rows}
        rowKey={(row) => row.key}
        columns={columns}
        initialSort={initialSort}
        footer={footer}
        searchLabel={searchLabel}
        testId={testId}
        actions={
          picker || actions ? (
            <Group gap="sm" align="flex-end" wrap="wrap">
              {picker}
              {actions}
            </Group>
          ) : undefined
        }
      />
      {flagged && (
        <Text size="xs" c="gray.7" data-testid="returns-exceeded-note">
          * {RETURNS_EXCEEDED_SALES} in this {noun}: its net sales or units are below zero, so an
          average per sale or per visitor would be too, and is not shown (the workbook shows it the same
          way). The API keeps the figure as defined (net sales ÷ transactions).
        </Text>
      )}
    </Stack>
  );
}
