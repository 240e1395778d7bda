import { ActionIcon, Anchor, Popover, Stack, Text } from "@mantine/core";
import { IconInfoCircle } from "@tabler/icons-react";
import { Link } from "react-router";

import { catalogMetric } from "@/features/catalog/registry";

/** The glossary entry of a metric: one anchor per metric on the glossary page. */
export function glossaryHref(name: string): string {
  return `/help/metrics#${name}`;
}

/**
 * A small "i" beside a figure's label: opens the catalog's description of the metric and a link to
 * its glossary entry. Renders nothing for a name the catalog does not know.
 */
export function MetricInfo({ name }: { name: string }) {
  const metric = catalogMetric(name);
  if (!metric) return null;
  return (
    <Popover width={280} position="bottom" withArrow shadow="md" trapFocus returnFocus>
      <Popover.Target>
        <ActionIcon
          variant="subtle"
          color="gray.7"
          size="xs"
          aria-label={`What “${metric.label}” means`}
          data-testid={`metric-info-${name}`}
          onClick={(e) => e.stopPropagation()}
        >
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
  );
}
