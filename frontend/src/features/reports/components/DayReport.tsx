import { SegmentedControl, Stack, Text } from "@mantine/core";
import { type ReactNode, useState } from "react";

import { dimmedWhileBusy } from "@/components/ui/busy";
import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { catalogBreakdown } from "@/features/catalog/registry";
import { COMPARE_LABELS, dayCount } from "@/features/filters/dateRange";
import {
  type Granularity,
  granularityFor,
  type ReportParams,
  type Timeseries,
  useSummary,
  useTimeseries,
} from "@/features/reports/api";
import { FigureTable, type FigureRow } from "@/features/reports/components/FigureTable";
import { RatesNote } from "@/features/reports/components/RatesNote";
import { errorMessage } from "@/lib/api";
import { dateFormat, userLocale } from "@/lib/format";

type Step = Exclude<Granularity, "hour">;

const STEPS: { value: Step; label: string }[] = [
  { value: "day", label: "Days" },
  { value: "week", label: "Weeks" },
  { value: "month", label: "Months" },
];

/** A bucket's name: "Tue, 27 Oct 2026", "Week of 26 Oct 2026", "October 2026". */
export function bucketLabel(start: string, step: Step, locale: string = userLocale()): string {
  const [y, m, d] = start.split("-").map(Number);
  const date = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1));
  if (step === "month") {
    return dateFormat(locale, { month: "long", year: "numeric", timeZone: "UTC" }).format(date);
  }
  const day = dateFormat(locale, {
    weekday: step === "day" ? "short" : undefined,
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).format(date);
  return step === "week" ? `Week of ${day}` : day;
}

/** The series' buckets as table rows: each with its comparison and the API's change. */
export function seriesRows(series: Timeseries, step: Step, locale?: string): FigureRow[] {
  return series.points.map((point) => ({
    key: point.start,
    label: bucketLabel(point.start, step, locale),
    metrics: point.metrics,
    comparison: point.comparison_metrics,
    change: point.change ?? null,
  }));
}

/** The figures a day row shows: the day-grain breakdowns' columns in the catalog. */
function dayFigures(): string[] {
  return [...(catalogBreakdown("weekday")?.columns ?? ["net_sales", "transactions"])];
}

/**
 * "By day": the period day by day (weeks or months over long periods) from the series, with the
 * comparison's day and the change; its total is the summary's, as the workbook's "By day" sheet.
 */
export function DayReport({ params, csv }: { params: ReportParams; csv: ReactNode }) {
  const days = dayCount({ from: params.date_from, to: params.date_to });
  const automatic = granularityFor(days);
  const [chosen, setChosen] = useState<Step | null>(null);
  const step: Step = chosen ?? (automatic === "hour" ? "day" : automatic);
  const series = useTimeseries(params, step);
  const summary = useSummary(params);
  const data = series.data?.granularity === step ? series.data : undefined;
  const error = series.error ?? summary.error;
  if ((!data || !summary.data) && error) {
    return (
      <ErrorState
        message={errorMessage(error)}
        onRetry={() => {
          void series.refetch();
          void summary.refetch();
        }}
      />
    );
  }
  if (!data || !summary.data) return <Loading label="Loading the days" />;
  const figures = dayFigures();
  const header = step === "day" ? "Day" : step === "week" ? "Week" : "Month";
  return (
    <Stack gap="xs" {...dimmedWhileBusy(series.isPlaceholderData)}>
      <SegmentedControl
        aria-label="Rows per"
        value={step}
        onChange={(value) => setChosen(value as Step)}
        data={STEPS}
        w="fit-content"
      />
      <FigureTable
        key={step}
        caption={`Sales by ${header.toLowerCase()}`}
        header={header}
        noun={header.toLowerCase()}
        figures={figures}
        currency={data.currency}
        rows={seriesRows(data, step)}
        totals={{
          metrics: summary.data.metrics,
          comparison: summary.data.comparison?.metrics ?? null,
          change: summary.data.change,
        }}
        compareLabel={data.comparison ? COMPARE_LABELS[params.compare] : null}
        order={(row) => row.key}
        initialSort={{ column: "label", direction: "asc" }}
        searchLabel={`Search ${header.toLowerCase()}s`}
        testId="report-day"
        actions={csv}
      />
      {data.comparison && (
        <Text size="xs" c="gray.7">
          Each {header.toLowerCase()} is compared with the same {header.toLowerCase()} of the {COMPARE_LABELS[params.compare].toLowerCase()} ({data.comparison.date_from} to {data.comparison.date_to}).
        </Text>
      )}
      <RatesNote rates={data.rates} currency={data.currency} />
    </Stack>
  );
}
