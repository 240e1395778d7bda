import { ActionIcon, Anchor, Popover, Stack, Text } from "@mantine/core";
import { IconInfoCircle } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { Link } from "react-router";

import { catalogMetric } from "@/features/catalog/registry";

/** The glossary entry of a metric: one anchor per metric on the glossary page. */
export function glossaryHref(name: string): string {
  return `/help/metrics#${name}`;
}

/**
 * Escape closes an open popover wherever the focus is. Mantine's popover hears Escape only inside
 * its dropdown, and the focus can leave it without a click outside: the dropdown is hidden for a
 * moment when the page re-lays out under its button (Chromium then drops the focus to the page),
 * and the person was left with a popover that Escape no longer closed.
 */
function useEscapeCloses(opened: boolean, setOpened: (opened: boolean) => void): void {
  useEffect(() => {
    if (!opened) return undefined;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === "Escape") setOpened(false);
    };
    document.addEventListener("keydown", onKeyDown);
    return () => document.removeEventListener("keydown", onKeyDown);
  }, [opened, setOpened]);
}

/**
 * A small "i" beside a figure's label: opens the catalog's description of the metric and a link to
 * its glossary entry. Renders nothing for a name the catalog does not know.
 */
export function MetricInfo({ name }: { name: string }) {
  const metric = catalogMetric(name);
  const [opened, setOpened] = useState(false);
  useEscapeCloses(opened, setOpened);
  if (!metric) return null;
  return (
    <Popover
      opened={opened}
      onChange={setOpened}
      width={280}
      position="bottom"
      withArrow
      shadow="md"
      trapFocus
      returnFocus
    >
      <Popover.Target>
        <ActionIcon
          variant="subtle"
          color="gray.7"
          size="xs"
          aria-label={`What “${metric.label}” means`}
          data-testid={`metric-info-${name}`}
          onClick={(e) => {
            e.stopPropagation();
            setOpened((o) => !o);
          }}
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
