import { Button, Group, Paper, ScrollArea, Stack, Tabs, Text } from "@mantine/core";
import { IconFileSpreadsheet, IconFileTypeCsv } from "@tabler/icons-react";
import { type ReactNode, useMemo } from "react";
import { useSearchParams } from "react-router";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { PageHeader } from "@/components/ui/PageHeader";
import { FilterBar } from "@/features/filters/components/FilterBar";
import { COMPARE_LABELS } from "@/features/filters/dateRange";
import { StoresGate } from "@/features/locations/components/StoresGate";
import {
  type Breakdown,
  type BreakdownBy,
  type ReportParams,
  type Summary,
  useBreakdown,
  useReportParams,
  useSummary,
} from "@/features/reports/api";
import { ExportStatusBar } from "@/features/reports/components/ExportStatusBar";
import { RatesAlert, RatesNote } from "@/features/reports/components/RatesNote";
import { RecalculationNotice } from "@/features/reports/components/RecalculationNotice";
import { ReportTable, type TableColumn } from "@/features/reports/components/ReportTable";
import type { CsvTable } from "@/features/reports/export";
import {
  changeDirection,
  formatMetric,
  formatMetricChange,
  METRIC_NAMES,
  metricLabel,
  type MetricName,
  type MetricValue,
} from "@/features/reports/metrics";
import { useExport } from "@/features/reports/useExport";
import { errorMessage } from "@/lib/api";

type Tab = "summary" | BreakdownBy;

const TABS: { value: Tab; label: string; header: string }[] = [
  { value: "summary", label: "Sales summary", header: "Metric" },
  { value: "location", label: "By store", header: "Store" },
  { value: "item", label: "By item", header: "Item" },
  { value: "category", label: "By category", header: "Category" },
  { value: "team_member", label: "By team member", header: "Team member" },
  { value: "payment_method", label: "By payment method", header: "Payment method" },
  { value: "hour", label: "By hour", header: "Hour" },
  { value: "weekday", label: "By weekday", header: "Weekday" },
];

const SALES: MetricName[] = [
  "net_sales",
  "transactions",
  "average_transaction_value",
  "units_per_transaction",
  "units_sold",
  "gross_sales",
  "returns",
  "discounts",
];

/** The figures each breakdown shows (what the API sends for it; METRICS.md "Breakdowns"). */
export const BREAKDOWN_METRICS: Record<BreakdownBy, MetricName[]> = {
  location: [...SALES, "footfall", "conversion_rate", "sales_per_visitor"],
  item: ["net_sales", "units_sold", "gross_sales", "returns", "discounts"],
  category: ["net_sales", "units_sold", "gross_sales", "returns", "discounts"],
  team_member: SALES,
  payment_method: ["total_collected", "fees", "net_total"],
  hour: SALES,
  weekday: SALES,
};

function isTab(value: string | null): value is Tab {
  return TABS.some((t) => t.value === value);
}

type Row = Breakdown["rows"][number];

function BreakdownReport({ by, params, header, csv }: { by: BreakdownBy; params: ReportParams; header: string; csv: ReactNode }) {
  const query = useBreakdown(params, by);
  const data = query.data?.by === by ? query.data : undefined;
  const columns = useMemo<TableColumn<Row>[]>(() => {
    const currency = data?.currency ?? "GBP";
    // Hours and weekdays read in their own order, not alphabetically.
    const ordinal = by === "hour" || by === "weekday";
    const first: TableColumn<Row> = {
      id: "label",
      header,
      text: true,
      value: (row) => (ordinal ? row.key.padStart(2, "0") : row.label),
      search: (row) => row.label,
      render: (row) => row.label,
    };
    return [
      first,
      ...BREAKDOWN_METRICS[by].map((name) => ({
        id: name,
        header: metricLabel(name, true),
        value: (row: Row) => row.metrics[name],
        render: (row: Row) => formatMetric(name, row.metrics[name], currency),
      })),
    ];
  }, [by, header, data?.currency]);
  if (!data && query.isError) {
    return <ErrorState message={errorMessage(query.error)} onRetry={() => void query.refetch()} />;
  }
  if (!data) return <Loading label="Loading the report" />;
  const ordinal = by === "hour" || by === "weekday";
  return (
    <Stack gap="xs" aria-busy={query.isPlaceholderData || undefined} style={{ opacity: query.isPlaceholderData ? 0.6 : 1 }}>
      <RatesAlert rates={data.rates} />
      <RecalculationNotice recalculating={data.recalculating} />
      <ReportTable
        key={by}
        caption={`Sales ${TABS.find((t) => t.value === by)?.label.toLowerCase() ?? ""}`}
        rows={data.rows}
        rowKey={(row) => row.key}
        columns={columns}
        initialSort={ordinal ? { column: "label", direction: "asc" } : { column: BREAKDOWN_METRICS[by][0] ?? "label", direction: "desc" }}
        footer={["Total", ...BREAKDOWN_METRICS[by].map((name) => formatMetric(name, data.total.metrics[name], data.currency))]}
        searchLabel={`Search ${header.toLowerCase()}s`}
        testId={`report-${by}`}
        actions={csv}
      />
      <RatesNote rates={data.rates} currency={data.currency} />
    </Stack>
  );
}

type SummaryRow = { name: MetricName; label: string; current: MetricValue; before: MetricValue; change: number | null };

function SummaryReport({ params, csv }: { params: ReportParams; csv: ReactNode }) {
  const query = useSummary(params);
  if (query.isPending) return <Loading label="Loading the sales summary" />;
  if (query.isError) return <ErrorState message={errorMessage(query.error)} onRetry={() => void query.refetch()} />;
  const data: Summary = query.data;
  const rows: SummaryRow[] = METRIC_NAMES.filter((name) => name in data.metrics).map((name) => ({
    name,
    label: metricLabel(name),
    current: data.metrics[name],
    before: data.comparison?.metrics[name],
    change: data.change[name] ?? null,
  }));
  const columns: TableColumn<SummaryRow>[] = [
    { id: "label", header: "Metric", text: true, value: (r) => r.label },
    {
      id: "current",
      header: "This period",
      value: (r) => r.current,
      render: (r) => formatMetric(r.name, r.current, data.currency),
    },
    ...(data.comparison
      ? ([
          {
            id: "before",
            header: COMPARE_LABELS[params.compare],
            value: (r) => r.before,
            render: (r) => formatMetric(r.name, r.before, data.currency),
          },
          {
            id: "change",
            header: "Change",
            value: (r) => r.change,
            render: (r) => (
              <Text span size="sm" c={{ up: "teal.9", down: "red.9", flat: "gray.8", none: "gray.7" }[changeDirection(r.change)]}>
                {formatMetricChange(r.change)}
              </Text>
            ),
          },
        ] satisfies TableColumn<SummaryRow>[])
      : []),
  ];
  const left = data.coverage.days_left_out_of_conversion;
  return (
    <Stack gap="xs" style={{ opacity: query.isPlaceholderData ? 0.6 : 1 }}>
      <RatesAlert rates={data.rates} />
      <RecalculationNotice recalculating={data.recalculating} />
      <ReportTable
        caption="Sales summary with the comparison period and change"
        rows={rows}
        rowKey={(r) => r.name}
        columns={columns}
        searchLabel="Search metrics"
        testId="report-summary"
        pageSize={50}
        actions={csv}
      />
      <Text size="xs" c="gray.7">
        In {data.currency}.
        {left > 0 &&
          ` Conversion and sales per visitor leave out ${left} store-${left === 1 ? "day" : "days"} with sales or footfall missing.`}
      </Text>
      <RatesNote rates={data.rates} currency={data.currency} />
    </Stack>
  );
}

function Reports({ storeCount }: { storeCount: number }) {
  const [search, setSearch] = useSearchParams();
  const tabParam = search.get("tab");
  const tab: Tab = isTab(tabParam) ? tabParam : "summary";
  const params = useReportParams();
  const exporter = useExport(params, storeCount);
  const busy = exporter.status.running !== null;
  const onTab = (value: string | null) => {
    if (!isTab(value)) return;
    setSearch((current) => {
      const next = new URLSearchParams(current);
      if (value === "summary") next.delete("tab");
      else next.set("tab", value);
      return next;
    });
  };
  const csvButton = (table: CsvTable) => (
    <Button
      variant="default"
      leftSection={<IconFileTypeCsv size={16} aria-hidden />}
      onClick={() => void exporter.start({ format: "csv", by: table })}
      loading={exporter.status.running === table}
      disabled={busy && exporter.status.running !== table}
    >
      Download CSV
    </Button>
  );
  return (
    <Stack gap="md">
      <Paper withBorder p="sm" radius="md">
        <Group justify="space-between" gap="sm" wrap="wrap">
          <Text size="sm" c="gray.8">
            The whole report as an Excel workbook: summary, days, stores, items, categories, team
            and payment methods.
          </Text>
          <Button
            leftSection={<IconFileSpreadsheet size={16} aria-hidden />}
            onClick={() => void exporter.start({ format: "xlsx" })}
            loading={exporter.status.running === "xlsx"}
            disabled={busy && exporter.status.running !== "xlsx"}
          >
            Export to Excel
          </Button>
        </Group>
        <ExportStatusBar status={exporter.status} onCancel={exporter.cancel} />
      </Paper>
      <Tabs value={tab} onChange={onTab} keepMounted={false}>
        <ScrollArea type="auto" offsetScrollbars>
          <Tabs.List style={{ flexWrap: "nowrap" }}>
            {TABS.map((t) => (
              <Tabs.Tab key={t.value} value={t.value}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
        </ScrollArea>
        {TABS.map((t) => (
          <Tabs.Panel key={t.value} value={t.value} pt="md">
            {t.value === "summary" ? (
              <SummaryReport params={params} csv={csvButton("summary")} />
            ) : (
              <BreakdownReport by={t.value} params={params} header={t.header} csv={csvButton(t.value)} />
            )}
          </Tabs.Panel>
        ))}
      </Tabs>
    </Stack>
  );
}

export default function ReportsPage() {
  return (
    <Stack gap="md">
      <PageHeader
        title="Reports"
        description="Sales by store, item, category, team member, payment method and hour"
      />
      <FilterBar />
      <StoresGate>{(stores) => <Reports storeCount={stores.length} />}</StoresGate>
    </Stack>
  );
}
