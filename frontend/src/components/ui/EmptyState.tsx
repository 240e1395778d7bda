import { Paper, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";

type Props = { title: string; children?: ReactNode; action?: ReactNode; icon?: ReactNode };

/** A friendly "nothing here yet" panel with what to do about it. */
export function EmptyState({ title, children, action, icon }: Props) {
  return (
    <Paper withBorder p="xl" radius="md" data-testid="empty-state">
      <Stack align="center" gap="sm" ta="center">
        {icon}
        <Title order={2} size="h3">
          {title}
        </Title>
        {children && (
          <Text c="gray.7" maw={520}>
            {children}
          </Text>
        )}
        {action}
      </Stack>
    </Paper>
  );
}
