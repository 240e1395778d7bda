import { Anchor, Group, Paper, SimpleGrid, Text } from "@mantine/core";
import { IconAlertTriangle, IconArrowDownRight, IconArrowUpRight, IconMinus } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { Link } from "react-router";

import { MetricInfo } from "@/features/catalog/components/MetricInfo";
import type { Summary } from "@/features/reports/api";
import { compareDecimal } from "@/lib/decimal";
import {
  changeDirection,
  changeColor,
  changeTone,
  formatMetric,
  formatMetricChange,
  formatPoints,
  type MetricName,
  metricKind,
  metricLabel,
} from "@/features/reports/metrics";

/** The dashboard's headline figures, in this order (a product choice; labels come from the catalog). */
export const KPIS: MetricName[] = [
  "net_sales",
  "transactions",
  "average_transaction_value",
  "units_per_transaction",
  "footfall",
  "conversion_rate",
  "sales_per_visitor",
];

const FOOTFALL_KPIS: ReadonlySet<MetricName> = new Set(["footfall", "conversion_rate", "sales_per_visitor"]);

// The arrow shows which way the figure went; its colour whether that is good news (the catalog's
// up_is_good: returns rising is red, tax moving is grey).
const ICONS = { up: IconArrowUpRight, down: IconArrowDownRight, flat: IconMinus, none: IconMinus };

/** The change line of a card: "+4.2% vs previous period", "+2.1 pts vs …" for a percentage,
 * or why there is none. */
export function changeText(summary: Summary, name: MetricName, compareLabel: string): string {
  if (!summary.comparison) return "No comparison";
  if (summary.not_comparable?.[name]) return `Not comparable with the ${compareLabel.toLowerCase()}`;
  const change = summary.change[name];
  const now = summary.metrics[name];
  const before = summary.comparison.metrics[name];
  if (metricKind(name) === "percent" && before !== null && before !== undefined) {
    return `${formatPoints(now, before)} vs ${compareLabel.toLowerCase()}`;
  }
  if (change === null || change === undefined) {
    return before === null || before === undefined || compareDecimal(String(before), "0") === 0
      ? `Nothing to compare in the ${compareLabel.toLowerCase()}`
      : "No change figure";
  }
  return `${formatMetricChange(change)} vs ${compareLabel.toLowerCase()}`;
}

/** The change a card colours and points by: none where the figures are not comparable. */
function shownChange(summary: Summary, name: MetricName): number | null | undefined {
  if (summary.not_comparable?.[name]) return null;
  if (metricKind(name) === "percent") {
    const points = summary.difference?.[name];
    return points === null || points === undefined ? null : Number(points);
  }
  return summary.change[name];
}

/** "incl. 3 estimated days" under the footfall figures when estimated footfall is included. */
export function estimatedNote(summary: Summary): string | null {
  const n = summary.footfall_estimated_days ?? 0;
  if (summary.footfall_estimates !== "include" || n === 0) return null;
  return `incl. ${n} estimated ${n === 1 ? "day" : "days"}`;
}

/** `notes`: a line under a card's change (the dashboard's word on exchange rates for net sales). */
type Props = { summary: Summary; compareLabel: string; notes?: Partial<Record<MetricName, ReactNode>> };

export function KpiCards({ summary, compareLabel, notes }: Props) {
  const currency = summary.currency;
  const { coverage } = summary;
  return (
    <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="sm" component="section" aria-label="Key figures">
      {KPIS.map((name) => {
        const value = summary.metrics[name];
        const moved = shownChange(summary, name);
        const direction = changeDirection(moved);
        const Icon = ICONS[direction];
        const before = summary.comparison?.metrics[name];
        return (
          <Paper key={name} withBorder p="md" radius="md" data-testid={`kpi-${name}`} component="article" aria-labelledby={`kpi-${name}-label`}>
            <Group gap={2} wrap="nowrap" justify="space-between">
              <Text id={`kpi-${name}-label`} size="sm" c="gray.7" fw={500}>
                {metricLabel(name)}
              </Text>
              <MetricInfo name={name} />
            </Group>
            <Text
              className="kpi-value"
              fz={26}
              fw={700}
              lh={1.3}
              data-testid="kpi-value"
              data-value={value === null || value === undefined ? "" : String(value)}
            >
              {formatMetric(name, value, currency)}
            </Text>
            {value !== null && (
              <Group
                gap={4}
                wrap="nowrap"
                c={changeColor(name, moved)}
                data-testid="kpi-change"
                data-direction={direction}
                data-tone={changeTone(name, moved)}
              >
                <Icon size={16} aria-hidden />
                <Text size="sm" c="inherit">
                  {changeText(summary, name, compareLabel)}
                </Text>
              </Group>
            )}
            {value !== null && before !== null && before !== undefined && (
              <Text size="xs" c="gray.7">
                Was {formatMetric(name, before, currency)}
              </Text>
            )}
            {value !== null && summary.not_comparable?.[name] && (
              <Text size="xs" c="gray.8" mt={4} data-testid="kpi-not-comparable">
                {summary.not_comparable[name]}.
              </Text>
            )}
            {value !== null && notes?.[name]}
            {FOOTFALL_KPIS.has(name) && value !== null && estimatedNote(summary) && (
              <Text size="xs" c="gray.7" fs="italic" mt={4} data-testid="kpi-estimated">
                {estimatedNote(summary)}
              </Text>
            )}
            {FOOTFALL_KPIS.has(name) && value === null && (
              <Text size="xs" c="gray.7" mt={4}>
                <Anchor component={Link} to="/footfall" size="xs" underline="always">
                  Enter footfall
                </Anchor>{" "}
                to see this figure.
              </Text>
            )}
            {name === "conversion_rate" && value !== null && coverage.days_left_out_of_conversion > 0 && (
              <Group gap={4} wrap="nowrap" mt={4} align="flex-start">
                <IconAlertTriangle size={14} color="var(--mantine-color-orange-8)" aria-hidden style={{ flexShrink: 0, marginTop: 2 }} />
                <Text size="xs" c="gray.8" data-testid="conversion-coverage">
                  {coverage.days_left_out_of_conversion} store-
                  {coverage.days_left_out_of_conversion === 1 ? "day" : "days"} left out (sales or
                  footfall missing)
                </Text>
              </Group>
            )}
          </Paper>
        );
      })}
    </SimpleGrid>
  );
}
