import { ActionIcon, Anchor, Popover, Stack, Text } from "@mantine/core";
import { IconInfoCircle } from "@tabler/icons-react";
import { useState } from "react";
import { Link } from "react-router";

import { catalogMetric } from "@/features/catalog/registry";

/** The glossary entry of a metric: one anchor per metric on the glossary page. */
export function glossaryHref(name: string): string {
  return `/help/metrics#${name}`;
}

/**
 * A small "i" beside a figure's label: opens the catalog's description of the metric and a link to
 * its glossary entry. Renders nothing for a name the catalog does not know.
 *
 * A page shows a dozen or more of these (every KPI card, every table's metric rows or columns), so
 * the popover itself (its positioning, focus trap and listeners) is built on the first press, not
 * with the page: the first load measured ~30 ms of popover set-up for the dashboard's alone.
 */
const WRAPPER = { display: "inline-flex", verticalAlign: "middle" } as const;

export function MetricInfo({ name }: { name: string }) {
  const [armed, setArmed] = useState(false);
  const metric = catalogMetric(name);
  if (!metric) return null;
  const label = `What “${metric.label}” means`;
  return (
    // Sits inside sortable headers and clickable rows: a press here (or in the dropdown, which
    // React bubbles through its portal) is the popover's alone.
    <span style={WRAPPER} onClick={(e) => e.stopPropagation()}>
      {armed ? (
        <Popover width={280} position="bottom" withArrow shadow="md" trapFocus returnFocus defaultOpened>
          <Popover.Target>
            <ActionIcon variant="subtle" color="gray.7" size="xs" aria-label={label} data-testid={`metric-info-${name}`}>
              <IconInfoCircle size={14} aria-hidden />
            </ActionIcon>
          </Popover.Target>
          <Popover.Dropdown aria-label={metric.label}>
            <Stack gap={6} ta="left">
              <Text size="sm" fw={600}>
                {metric.label}
                {metric.short_label !== metric.label && ` (${metric.short_label})`}
              </Text>
              <Text size="sm" fw={400}>
                {metric.description}
              </Text>
              <Anchor component={Link} to={glossaryHref(name)} size="sm" underline="always">
                {metric.label} in the glossary
              </Anchor>
            </Stack>
          </Popover.Dropdown>
        </Popover>
      ) : (
        <ActionIcon
          variant="subtle"
          color="gray.7"
          size="xs"
          aria-label={label}
          aria-haspopup="dialog"
          aria-expanded={false}
          data-testid={`metric-info-${name}`}
          onClick={() => setArmed(true)}
        >
          <IconInfoCircle size={14} aria-hidden />
        </ActionIcon>
      )}
    </span>
  );
}
