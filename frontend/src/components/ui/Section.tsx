import { Box, Group, Paper, Title } from "@mantine/core";
import type { ReactNode } from "react";

import { dimmedWhileBusy } from "@/components/ui/busy";

type SectionProps = {
  title: string;
  children: ReactNode;
  /** New figures are on their way: the old ones are dimmed meanwhile. */
  busy?: boolean;
  /** Beside the title, e.g. the glossary's "i" (`<MetricInfo name=… />`). */
  info?: ReactNode;
  /** At the title's right. */
  actions?: ReactNode;
};

/** A page's titled panel (the dashboard's and the traffic page's sections). */
export function Section({ title, children, busy, info, actions }: SectionProps) {
  const id = `section-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby={id} miw={0}>
      <Group justify="space-between" gap="xs" mb="sm">
        <Group gap={4} wrap="nowrap">
          <Title order={2} size="h4" id={id}>
            {title}
          </Title>
          {info}
        </Group>
        {actions}
      </Group>
      <Box {...dimmedWhileBusy(Boolean(busy))}>{children}</Box>
    </Paper>
  );
}
