import { Anchor, SegmentedControl, Stack, Text } from "@mantine/core";
import { IconDeviceCctv } from "@tabler/icons-react";
import { Link, useSearchParams } from "react-router";

import { EmptyState } from "@/components/ui/EmptyState";
import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { PageHeader } from "@/components/ui/PageHeader";
import { Section } from "@/components/ui/Section";
import { MetricInfo } from "@/features/catalog/components/MetricInfo";
import { type HeatCell, WeekdayHourHeatmap } from "@/features/dashboard/components/SalesHeatmap";
import { FilterBar } from "@/features/filters/components/FilterBar";
import { StoresGate } from "@/features/locations/components/StoresGate";
import { type Breakdown, useBreakdown, useReportParams } from "@/features/reports/api";
import { RatesNote } from "@/features/reports/components/RatesNote";
import { RecalculationNotice } from "@/features/reports/components/RecalculationNotice";
import { ReportTable, type TableColumn } from "@/features/reports/components/ReportTable";
import { formatMetric, metricLabel } from "@/features/reports/metrics";
import { type Traffic, type TrafficHour, useTraffic } from "@/features/traffic/api";
import { errorMessage } from "@/lib/api";
import { formatNumber } from "@/lib/format";

// What each hour shows, in this order (catalog names: labels and formats come from the catalog).
const HOUR_FIGURES = ["footfall", "transactions", "net_sales", "conversion_rate", "sales_per_visitor"];
// The store comparison: ranked by conversion, with what it is made of.
const STORE_FIGURES = ["conversion_rate", "footfall", "transactions", "sales_per_visitor"];

const clock = (hour: number) => `${String(hour).padStart(2, "0")}:00`;

const storeHours = (n: number) => `${formatNumber(n)} store-hour${n === 1 ? "" : "s"}`;

function ByHour({ data }: { data: Traffic }) {
  const included = data.footfall_estimates === "include";
  const columns: TableColumn<TrafficHour>[] = [
    { id: "hour", header: "Hour", text: true, value: (row) => clock(row.hour) },
    ...HOUR_FIGURES.map((name) => ({
      id: name,
      header: metricLabel(name, true),
      metric: name,
      value: (row: TrafficHour) => row.metrics[name],
      render: (row: TrafficHour) => {
        const shown = formatMetric(name, row.metrics[name], data.currency);
        const estimated = row.footfall_estimated_hours ?? 0;
        if (name !== "footfall" || !included || estimated === 0) return shown;
        return (
          <Text span size="sm" c="gray.7" fs="italic" data-estimated="" title={`Includes ${storeHours(estimated)} estimated from earlier weeks`}>
            {shown} est.
          </Text>
        );
      },
    })),
  ];
  return (
    <ReportTable
      caption="Footfall, sales and conversion by hour of the day"
      rows={data.by_hour}
      rowKey={(row) => String(row.hour)}
      columns={columns}
      initialSort={{ column: "hour", direction: "asc" }}
      searchLabel="Find an hour"
      testId="traffic-by-hour"
    />
  );
}

type PowerFigure = "conversion_rate" | "average_footfall";

function PowerHours({ data, figure, onFigure }: { data: Traffic; figure: PowerFigure; onFigure: (f: PowerFigure) => void }) {
  const cells: HeatCell[] = data.by_weekday_hour.map((cell) => {
    const conversion = formatMetric("conversion_rate", cell.metrics.conversion_rate, data.currency);
    const average = cell.average_footfall === null || cell.average_footfall === undefined ? "—" : formatNumber(cell.average_footfall, undefined, 1);
    return {
      weekday: cell.weekday,
      hour: cell.hour,
      value: Number((figure === "conversion_rate" ? cell.metrics.conversion_rate : cell.average_footfall) ?? 0),
      text: `${metricLabel("conversion_rate")} ${conversion}, ${average} visitors on an average day, ${formatMetric("net_sales", cell.metrics.net_sales, data.currency)} net sales`,
    };
  });
  const what = figure === "conversion_rate" ? metricLabel("conversion_rate").toLowerCase() : "average footfall";
  return (
    <Stack gap="xs">
      <SegmentedControl
        aria-label="Figure shaded"
        size="xs"
        w="fit-content"
        value={figure}
        onChange={(value) => onFigure(value as PowerFigure)}
        data={[
          { value: "conversion_rate", label: metricLabel("conversion_rate") },
          { value: "average_footfall", label: "Average footfall" },
        ]}
      />
      <WeekdayHourHeatmap
        cells={cells}
        label={`Heatmap of ${what} by weekday and hour`}
        caption="Conversion, average footfall per store-day and net sales by weekday and hour of the day"
        more={what}
        empty="No hourly counts"
        testId="power-hours"
      />
    </Stack>
  );
}

type StoreRow = Breakdown["rows"][number];

function StoreConversion() {
  const params = useReportParams();
  const stores = useBreakdown(params, "location");
  if (stores.isPending) return <Loading label="Loading the stores' conversion" />;
  if (stores.isError) return <ErrorState message={errorMessage(stores.error)} onRetry={() => void stores.refetch()} />;
  const currency = stores.data.currency;
  const columns: TableColumn<StoreRow>[] = [
    { id: "label", header: "Store", text: true, value: (row) => row.label },
    ...STORE_FIGURES.map((name) => ({
      id: name,
      header: metricLabel(name, true),
      metric: name,
      value: (row: StoreRow) => row.metrics[name],
      render: (row: StoreRow) => formatMetric(name, row.metrics[name], currency),
    })),
  ];
  return (
    <ReportTable
      caption="Stores ranked by conversion rate"
      rows={stores.data.rows}
      rowKey={(row) => row.key}
      columns={columns}
      initialSort={{ column: "conversion_rate", direction: "desc" }}
      searchLabel="Find a store"
      testId="store-conversion"
      pageSize={50}
    />
  );
}

function TrafficFigures() {
  const params = useReportParams();
  const traffic = useTraffic(params);
  useBreakdown(params, "location"); // asked for at once, beside the traffic figures
  const [figure, setFigure] = usePowerFigure();
  if (traffic.isPending) return <Loading label="Loading traffic" />;
  if (traffic.isError) {
    return (
      <ErrorState title="Could not load traffic" message={errorMessage(traffic.error)} onRetry={() => void traffic.refetch()} />
    );
  }
  const data = traffic.data;
  const { store_days_used: used, store_days_daily_only: dailyOnly, store_hours_estimated: estimated } = data.coverage;
  const busy = traffic.isPlaceholderData;
  const storeDays = (n: number) => `${formatNumber(n)} store-day${n === 1 ? "" : "s"}`;
  return (
    <Stack gap="md" data-testid="traffic-figures">
      <RecalculationNotice recalculating={data.recalculating} />
      {used === 0 && !busy ? (
        <EmptyState title="No hourly counts in this period" icon={<IconDeviceCctv size={40} stroke={1.5} aria-hidden />}>
          Connect a people counter or enter hourly counts to see traffic by hour: counters send their
          figures with an API key from{" "}
          <Anchor component={Link} to="/settings/api-keys">
            Settings → API keys
          </Anchor>
          .
          {dailyOnly > 0 && ` ${storeDays(dailyOnly)} of this period have only a whole-day count, which cannot be split by hour.`}
        </EmptyState>
      ) : (
        <>
          <Text size="sm" c="gray.8" data-testid="traffic-coverage">
            Over {storeDays(used)} with hourly footfall counts
            {dailyOnly > 0 ? `; ${storeDays(dailyOnly)} with only a whole-day count are left out` : ""}. Figures in{" "}
            {data.currency}.
            {(estimated ?? 0) > 0 &&
              (data.footfall_estimates === "include"
                ? ` Includes ${storeHours(estimated ?? 0)} without a count, estimated from the same hour of earlier weeks (marked est.).`
                : ` ${storeHours(estimated ?? 0)} without a count could be estimated from earlier weeks: switch on “Include estimated footfall”.`)}
          </Text>
          <RatesNote rates={data.rates} currency={data.currency} />
          <Section title="Footfall and conversion by hour" busy={busy} info={<MetricInfo name="conversion_rate" />}>
            <ByHour data={data} />
          </Section>
          <Section title="Power hours: weekday × hour" busy={busy}>
            <PowerHours data={data} figure={figure} onFigure={setFigure} />
          </Section>
        </>
      )}
      <Section title="Store comparison: conversion" info={<MetricInfo name="conversion_rate" />}>
        <StoreConversion />
      </Section>
    </Stack>
  );
}

function usePowerFigure(): [PowerFigure, (f: PowerFigure) => void] {
  const [search, setSearch] = useSearchParams();
  const figure: PowerFigure = search.get("shade") === "average_footfall" ? "average_footfall" : "conversion_rate";
  const choose = (value: PowerFigure) => {
    const next = new URLSearchParams(search);
    if (value === "conversion_rate") next.delete("shade");
    else next.set("shade", value);
    setSearch(next, { replace: true });
  };
  return [figure, choose];
}

export default function TrafficPage() {
  return (
    <Stack gap="md">
      <PageHeader title="Traffic" description="Footfall, conversion and sales per visitor by hour, and your stores compared" />
      <FilterBar />
      <StoresGate>{() => <TrafficFigures />}</StoresGate>
    </Stack>
  );
}
