import { Anchor, Box, Select, Stack, Text } from "@mantine/core";
import { IconCalendarOff } from "@tabler/icons-react";
import { lazy, Suspense, useEffect, useMemo } from "react";
import { Link, useSearchParams } from "react-router";

import { dimmedWhileBusy } from "@/components/ui/busy";
import { EmptyState } from "@/components/ui/EmptyState";
import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { PageHeader } from "@/components/ui/PageHeader";
import { Section } from "@/components/ui/Section";
import { CurrencyEffectNote } from "@/features/dashboard/components/CurrencyEffectNote";
import { KpiCards } from "@/features/dashboard/components/KpiCards";
import { LeagueTable } from "@/features/dashboard/components/LeagueTable";
import { SalesHeatmap } from "@/features/dashboard/components/SalesHeatmap";
import { MetricInfo } from "@/features/catalog/components/MetricInfo";
import { FilterBar } from "@/features/filters/components/FilterBar";
import { COMPARE_LABELS, dayCount, localHourStart } from "@/features/filters/dateRange";
import { StoresGate } from "@/features/locations/components/StoresGate";
import { type FootfallCoverage, useFootfallCoverage } from "@/features/locations/api";
import {
  granularityFor,
  useBreakdown,
  useHeatmap,
  useReportParams,
  useSummary,
  useTimeseries,
} from "@/features/reports/api";
import { RatesAlert, RatesNote } from "@/features/reports/components/RatesNote";
import { RecalculationNotice } from "@/features/reports/components/RecalculationNotice";
import { HistoryLoadingNotice } from "@/features/square/components/HistoryLoadingNotice";
import { metricLabel } from "@/features/reports/metrics";
import { errorMessage } from "@/lib/api";
import { formatDateRange } from "@/lib/format";

// recharts is large: the chart comes in its own chunk, fetched once the figures have been asked
// for (so evaluating it does not hold their requests back) rather than when the trend is drawn;
// on a first load that opens on the dashboard, as soon as the figures' requests are out
// (features/shell/firstLoad.ts).
let chartModule: Promise<typeof import("@/features/dashboard/components/TrendChart")> | null = null;
export function loadTrendChart() {
  chartModule ??= import("@/features/dashboard/components/TrendChart");
  return chartModule;
}
const TrendChart = lazy(loadTrendChart);

// What the trend can draw: sales, and the traffic figures beside them (#25).
const TREND_METRICS = ["net_sales", "transactions", "footfall", "conversion_rate", "sales_per_visitor"];

function Trend({ compareLabel }: { compareLabel: string | null }) {
  const params = useReportParams();
  const granularity = granularityFor(dayCount({ from: params.date_from, to: params.date_to }));
  const series = useTimeseries(params, granularity);
  const [search, setSearch] = useSearchParams();
  const chosen = search.get("trend");
  const metric = chosen && TREND_METRICS.includes(chosen) ? chosen : "net_sales";
  const choose = (value: string | null) => {
    const next = new URLSearchParams(search);
    if (!value || value === "net_sales") next.delete("trend");
    else next.set("trend", value);
    setSearch(next, { replace: true });
  };
  const noFootfall =
    metric !== "net_sales" &&
    metric !== "transactions" &&
    series.data?.points.every((p) => p.metrics[metric] === null || p.metrics[metric] === undefined);
  return (
    <Section
      title="Trend"
      busy={series.isPlaceholderData}
      info={<MetricInfo name={metric} />}
      actions={
        <Select
          aria-label="Figure drawn"
          size="xs"
          w={170}
          data={TREND_METRICS.map((name) => ({ value: name, label: metricLabel(name) }))}
          value={metric}
          onChange={choose}
          allowDeselect={false}
        />
      }
    >
      {series.isPending ? (
        <Loading label="Loading the trend" />
      ) : series.isError ? (
        <ErrorState message={errorMessage(series.error)} onRetry={() => void series.refetch()} />
      ) : (
        <Suspense fallback={<Loading label="Loading the chart" />}>
          <div
            role="img"
            aria-label={`${metricLabel(metric)} by ${granularity}${compareLabel ? `, with the ${compareLabel.toLowerCase()}` : ""}`}
          >
            <TrendChart data={series.data} compareLabel={compareLabel} metric={metric} until={localHourStart()} />
          </div>
          {noFootfall && (
            <Text size="sm" c="gray.8" mt="xs">
              No footfall is entered for this period, so there is nothing to draw: enter it on the{" "}
              <Anchor component={Link} to="/footfall">
                Footfall
              </Anchor>{" "}
              page.
            </Text>
          )}
        </Suspense>
      )}
    </Section>
  );
}

function League() {
  const params = useReportParams();
  const stores = useBreakdown(params, "location");
  const footfall = useFootfallCoverage(params.date_from, params.date_to);
  const coverage = useMemo(
    () =>
      new Map<string, FootfallCoverage>(
        (footfall.data?.items ?? []).map((store) => [String(store.id), store.footfall_coverage]),
      ),
    [footfall.data],
  );
  return (
    <Section title="Store league table" busy={stores.isPlaceholderData}>
      {stores.isPending ? (
        <Loading label="Loading the stores' figures" />
      ) : stores.isError ? (
        <ErrorState message={errorMessage(stores.error)} onRetry={() => void stores.refetch()} />
      ) : (
        <LeagueTable data={stores.data} coverage={coverage} />
      )}
    </Section>
  );
}

function HeatmapSection() {
  const params = useReportParams();
  const heatmap = useHeatmap(params);
  return (
    <Section title="When you sell: weekday × hour" busy={heatmap.isPlaceholderData} info={<MetricInfo name="net_sales" />}>
      {heatmap.isPending ? (
        <Loading label="Loading the heatmap" />
      ) : heatmap.isError ? (
        <ErrorState message={errorMessage(heatmap.error)} onRetry={() => void heatmap.refetch()} />
      ) : (
        <SalesHeatmap data={heatmap.data} />
      )}
    </Section>
  );
}

/** Every section's request, started with the summary's (the sections read the same queries)
 * instead of one after the other. A component of its own that draws nothing: each answer
 * re-renders it, not the key figures (13 cards with their glossary popovers) four more times. */
function SectionRequests() {
  const params = useReportParams();
  useTimeseries(params, granularityFor(dayCount({ from: params.date_from, to: params.date_to })));
  useBreakdown(params, "location");
  useHeatmap(params);
  useFootfallCoverage(params.date_from, params.date_to);
  return null;
}

function DashboardFigures() {
  const params = useReportParams();
  const summary = useSummary(params);
  useEffect(() => {
    const timer = setTimeout(() => void loadTrendChart(), 0);
    return () => clearTimeout(timer);
  }, []);
  const compareLabel = params.compare === "none" ? null : COMPARE_LABELS[params.compare];
  if (summary.isPending) return <Loading label="Loading your figures" />;
  if (summary.isError) {
    return (
      <ErrorState
        title="Could not load your figures"
        message={errorMessage(summary.error)}
        onRetry={() => void summary.refetch()}
      />
    );
  }
  const data = summary.data;
  if (data.coverage.days_with_sales === 0 && !summary.isPlaceholderData) {
    return (
      <Stack gap="md">
        <RecalculationNotice recalculating={data.recalculating} />
        <EmptyState
          title="No sales in this period"
          icon={<IconCalendarOff size={40} stroke={1.5} aria-hidden />}
        >
          Nothing was sold between {formatDateRange(data.date_from, data.date_to)} in the stores
          selected. Choose another date range, or check Settings if your first Square sync is still
          running.
        </EmptyState>
      </Stack>
    );
  }
  return (
    <Stack gap="md" data-testid="dashboard-figures">
      <RatesAlert rates={data.rates} />
      <RecalculationNotice recalculating={data.recalculating} />
      <Box {...dimmedWhileBusy(summary.isPlaceholderData)}>
        <KpiCards
          summary={data}
          compareLabel={compareLabel ?? "comparison"}
          notes={{ net_sales: <CurrencyEffectNote summary={data} /> }}
        />
      </Box>
      {data.comparison && (
        <Text size="xs" c="gray.7" data-testid="comparison-note">
          Figures in {data.currency}; change against{" "}
          {formatDateRange(data.comparison.date_from, data.comparison.date_to)}
          {data.until_hour ? `, both up to ${String(data.until_hour % 24).padStart(2, "0")}:00 on the last day (so far today)` : ""}
          {data.comparison.rates === "constant" ? ", converted at this period's exchange rates" : ""}.
        </Text>
      )}
      <RatesNote rates={data.rates} currency={data.currency} />
      <Trend compareLabel={compareLabel} />
      <League />
      <HeatmapSection />
    </Stack>
  );
}

export default function DashboardPage() {
  return (
    <Stack gap="md">
      <PageHeader title="Dashboard" description="How your stores are trading" />
      <HistoryLoadingNotice />
      <FilterBar />
      <StoresGate>
        {() => (
          <>
            <SectionRequests />
            <DashboardFigures />
          </>
        )}
      </StoresGate>
    </Stack>
  );
}
