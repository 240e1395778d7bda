import { Badge, Loader, Text, Tooltip, VisuallyHidden } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";

import type { FootfallCoverage } from "@/features/locations/api";
import type { Breakdown } from "@/features/reports/api";
import { ReportTable, type TableColumn } from "@/features/reports/components/ReportTable";
import { formatMetric, metricLabel, type MetricName } from "@/features/reports/metrics";

type Row = Breakdown["rows"][number];

const FIGURES: MetricName[] = [
  "net_sales",
  "transactions",
  "average_transaction_value",
  "units_per_transaction",
  "footfall",
  "conversion_rate",
  "sales_per_visitor",
];

/**
 * Days of the period a store has neither a footfall count nor a "closed" mark (from
 * `GET /locations`): their sales are left out of its conversion rate. Null while not known yet.
 */
export function daysMissingFootfall(coverage: FootfallCoverage | undefined): number | null {
  return coverage ? coverage.days_missing : null;
}

type Props = {
  data: Breakdown;
  /** Each store's footfall coverage over the period, by location id. */
  coverage: Map<string, FootfallCoverage>;
};

/** The stores ranked by net sales, with conversion, and the days each is missing footfall. */
export function LeagueTable({ data, coverage }: Props) {
  const currency = data.currency;
  const columns: TableColumn<Row>[] = [
    { id: "label", header: "Store", text: true, value: (row) => row.label },
    ...FIGURES.map((name) => ({
      id: name,
      header: metricLabel(name, true),
      metric: name,
      value: (row: Row) => row.metrics[name],
      render: (row: Row) => formatMetric(name, row.metrics[name], currency),
    })),
    {
      id: "missing_footfall",
      header: "Footfall gaps",
      value: (row) => daysMissingFootfall(coverage.get(row.key)),
      render: (row) => {
        const cov = coverage.get(row.key);
        const missing = daysMissingFootfall(cov);
        if (missing === null) return <Loader size="xs" aria-label="Checking footfall" />;
        if (missing === 0) return <Text size="sm" c="gray.7">None</Text>;
        // Short enough to show whole beside seven figures at 1440 px; the rest is read aloud.
        const label = `${missing} ${missing === 1 ? "day" : "days"}`;
        return (
          <Tooltip label="Days with no footfall count (and not marked closed) are left out of conversion" withArrow>
            <Badge
              color="orange"
              variant="light"
              leftSection={<IconAlertTriangle size={12} aria-hidden />}
              data-testid="footfall-gap"
              tabIndex={0}
            >
              {label}
              <VisuallyHidden> without footfall</VisuallyHidden>
            </Badge>
          </Tooltip>
        );
      },
    },
  ];
  return (
    <ReportTable
      caption="Stores ranked by net sales"
      rows={data.rows}
      rowKey={(row) => row.key}
      columns={columns}
      initialSort={{ column: "net_sales", direction: "desc" }}
      searchLabel="Find a store"
      testId="league-table"
      pageSize={50}
    />
  );
}
