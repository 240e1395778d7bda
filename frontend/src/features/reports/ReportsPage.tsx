import { Button, Group, Paper, ScrollArea, Stack, Tabs, Text } from "@mantine/core";
import { IconFileSpreadsheet, IconFileTypeCsv } from "@tabler/icons-react";
import { type ReactNode, useMemo } from "react";
import { useSearchParams } from "react-router";

import { dimmedWhileBusy } from "@/components/ui/busy";
import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { PageHeader } from "@/components/ui/PageHeader";
import { FilterBar } from "@/features/filters/components/FilterBar";
import { MetricInfo } from "@/features/catalog/components/MetricInfo";
import { type CatalogBreakdown, summaryMetricNames, useRegisteredCatalog } from "@/features/catalog/registry";
import { COMPARE_LABELS } from "@/features/filters/dateRange";
import { StoresGate } from "@/features/locations/components/StoresGate";
import {
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
import { DayReport } from "@/features/reports/components/DayReport";
import { FigureTable } from "@/features/reports/components/FigureTable";
import { ReportTable, type TableColumn } from "@/features/reports/components/ReportTable";
import type { CsvTable } from "@/features/reports/export";
import {
  changeColor,
  changeTone,
  formatMetric,
  formatMetricMove,
  metricKind,
  metricLabel,
  type MetricName,
  type MetricValue,
} from "@/features/reports/metrics";
import { useExport } from "@/features/reports/useExport";
import { errorMessage } from "@/lib/api";
import { plural } from "@/lib/format";

/** A report tab: the sales summary, then one per breakdown of the catalog, in its order. */
type Tab = { value: string; label: string; header: string; breakdown: CatalogBreakdown | null };

const SUMMARY_TAB: Tab = { value: "summary", label: "Sales summary", header: "Metric", breakdown: null };
/** Day by day (by week or month over long periods), from the series: the workbook's "By day". */
const DAY_TAB: Tab = { value: "day", label: "By day", header: "Day", breakdown: null };

/** The tabs: a breakdown declared in the backend's catalog is a tab here with no frontend edit. */
function useTabs(): Tab[] {
  const catalog = useRegisteredCatalog();
  return useMemo(
    () => [
      SUMMARY_TAB,
      DAY_TAB,
      ...(catalog?.breakdowns ?? []).map((b) => ({ value: b.name, label: b.label, header: b.header, breakdown: b })),
    ],
    [catalog],
  );
}

function BreakdownReport({ spec, params, csv }: { spec: CatalogBreakdown; params: ReportParams; csv: ReactNode }) {
  // The catalog's names are the API's `by` values.
  const by = spec.name as BreakdownBy;
  const { header, columns: figures, ordinal } = spec;
  // "So far today": hour rows already line up with the comparison's hours, but a store's (item's,
  // team member's...) part of today against the whole of its comparison day would read as a fall,
  // so those tables leave the comparison out and say why (the summary and By day compare both up
  // to the same hour).
  const partDay = Boolean(params.until_hour) && by !== "hour";
  const query = useBreakdown(params, by, true, !partDay);
  const data = query.data?.by === by ? query.data : undefined;
  if (!data && query.isError) {
    return <ErrorState message={errorMessage(query.error)} onRetry={() => void query.refetch()} />;
  }
  if (!data) return <Loading label="Loading the report" />;
  return (
    <Stack gap="xs" {...dimmedWhileBusy(query.isPlaceholderData)}>
      <RatesAlert rates={data.rates} />
      <RecalculationNotice recalculating={data.recalculating} />
      <FigureTable
        key={by}
        caption={`Sales ${spec.label.toLowerCase()}`}
        header={header}
        noun={header.toLowerCase()}
        figures={figures}
        currency={data.currency}
        rows={data.rows}
        totals={{ metrics: data.total.metrics, comparison: data.comparison?.metrics ?? null, change: data.total.change ?? null }}
        compareLabel={data.comparison && !partDay ? COMPARE_LABELS[params.compare] : null}
        // Hours and weekdays (ordinal breakdowns) read in their own order, not alphabetically.
        order={ordinal ? (row) => row.key.padStart(2, "0") : undefined}
        initialSort={ordinal ? { column: "label", direction: "asc" } : { column: figures[0] ?? "label", direction: "desc" }}
        searchLabel={`Search ${plural(header.toLowerCase())}`}
        testId={`report-${by}`}
        actions={csv}
        estimatesIncluded={data.footfall_estimates === "include"}
      />
      {partDay && params.compare !== "none" ? (
        <Text size="sm" c="dimmed" data-testid="part-day-note">
          No comparison columns while today is still trading: today so far against the whole of the
          comparison day would read as a fall. The Summary and By day tabs compare both up to the same
          hour; a range that ends yesterday compares every row.
        </Text>
      ) : null}
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
  const rows: SummaryRow[] = summaryMetricNames().filter((name) => name in data.metrics).map((name) => ({
    name,
    label: metricLabel(name),
    current: data.metrics[name],
    before: data.comparison?.metrics[name],
    change: data.change[name] ?? null,
  }));
  const columns: TableColumn<SummaryRow>[] = [
    {
      id: "label",
      header: "Metric",
      text: true,
      value: (r) => r.label,
      name: (r) => r.label,
      render: (r) => (
        <Group gap={2} wrap="nowrap">
          <span>{r.label}</span>
          <MetricInfo name={r.name} />
        </Group>
      ),
    },
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
            render: (r) => {
              // As the dashboard's cards: a percentage moves in points; a footfall figure over
              // unlike days is not compared (the API says why).
              const reason = data.not_comparable?.[r.name];
              if (reason) {
                return (
                  <Text span size="sm" c="gray.7" title={reason} data-tone="neutral">
                    Not comparable
                  </Text>
                );
              }
              const points = metricKind(r.name) === "percent" ? data.difference?.[r.name] : undefined;
              const moved = points === undefined ? r.change : points === null ? null : Number(points);
              return (
                <Text span size="sm" c={changeColor(r.name, moved)} data-tone={changeTone(r.name, moved)}>
                  {formatMetricMove(r.name, r.change, r.current, r.before)}
                </Text>
              );
            },
          },
        ] satisfies TableColumn<SummaryRow>[])
      : []),
  ];
  const left = data.coverage.days_left_out_of_conversion;
  return (
    <Stack gap="xs" {...dimmedWhileBusy(query.isPlaceholderData)}>
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
  const tabs = useTabs();
  const isTab = (value: string | null): value is string => tabs.some((t) => t.value === value);
  const tabParam = search.get("tab");
  const tab = isTab(tabParam) ? tabParam : SUMMARY_TAB.value;
  const params = useReportParams();
  const exporter = useExport(params, storeCount);
  const busy = exporter.status.running !== null;
  const onTab = (value: string | null) => {
    if (!isTab(value)) return;
    setSearch((current) => {
      const next = new URLSearchParams(current);
      if (value === SUMMARY_TAB.value) next.delete("tab");
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
            {tabs.map((t) => (
              <Tabs.Tab key={t.value} value={t.value}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
        </ScrollArea>
        {tabs.map((t) => (
          <Tabs.Panel key={t.value} value={t.value} pt="md">
            {t.breakdown ? (
              <BreakdownReport spec={t.breakdown} params={params} csv={csvButton(t.value as CsvTable)} />
            ) : t.value === DAY_TAB.value ? (
              <DayReport params={params} csv={csvButton("day")} />
            ) : (
              <SummaryReport params={params} csv={csvButton("summary")} />
            )}
          </Tabs.Panel>
        ))}
      </Tabs>
    </Stack>
  );
}

/** "Sales by store, item and hour": the catalog's breakdowns, by their column headers. */
function breakdownsSentence(breakdowns: readonly CatalogBreakdown[]): string {
  const names = breakdowns.map((b) => b.header.toLowerCase());
  if (names.length === 0) return "Sales summary";
  const last = names.pop();
  return `Sales by ${names.length ? `${names.join(", ")} and ${last}` : last}`;
}

export default function ReportsPage() {
  const catalog = useRegisteredCatalog();
  return (
    <Stack gap="md">
      <PageHeader
        title="Reports"
        description={breakdownsSentence(catalog?.breakdowns ?? [])}
      />
      <FilterBar />
      <StoresGate>{(stores) => <Reports storeCount={stores.length} />}</StoresGate>
    </Stack>
  );
}
