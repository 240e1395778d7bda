import { Alert, Group, List, Progress, Stack, Text } from "@mantine/core";
import { IconCheck, IconHistory } from "@tabler/icons-react";

import { type Connection, backfillPercent, timeLeft } from "@/features/square/api";
import { formatDateTime, formatNumber } from "@/lib/format";

function queueLine(ahead: number | null | undefined): string {
  if (!ahead) return "Queued: it starts as soon as a worker is free.";
  return `Queued behind ${formatNumber(ahead)} other sync${ahead === 1 ? "" : "s"}.`;
}

/**
 * The first sync of an account while it loads the sales history: days and orders fetched of
 * how many, per store, and about how long is left (or how many syncs are ahead of it).
 */
export function HistoryProgress({ connection: c }: { connection: Connection }) {
  const { sync } = c;
  const b = sync.backfill;
  if (!sync.history_loading || c.status !== "active") return null;
  const percent = b ? backfillPercent(b) : 0;
  const left = timeLeft(b?.seconds_left);
  const queued = sync.activity === "queued";
  return (
    <Alert
      color="indigo"
      variant="light"
      role="status"
      icon={<IconHistory size={18} aria-hidden />}
      title={queued ? "Sales history: waiting to start" : `Loading sales history — ${percent}%`}
      data-testid="history-progress"
      data-activity={sync.activity}
    >
      <Stack gap={6}>
        {queued && <Text size="sm">{queueLine(sync.queued_behind)}</Text>}
        {b && (
          <>
            <Progress value={percent} size="md" aria-label="Sales history loaded" />
            <Text size="sm" data-testid="history-counts">
              {formatNumber(b.days_done)} of {formatNumber(b.days_total)} days ·{" "}
              {formatNumber(b.orders_fetched)}
              {b.orders_estimated ? ` of about ${formatNumber(b.orders_estimated)}` : ""} orders
              {left ? ` · ${left}` : ""}
            </Text>
            {b.started_at && (
              <Text size="xs" c="gray.7">
                Started {formatDateTime(b.started_at)}
              </Text>
            )}
            {b.stores.length > 0 && (
              <List size="xs" spacing={2} listStyleType="none" aria-label="History per store">
                {b.stores.map((store) => (
                  <List.Item key={store.location_id ?? store.name}>
                    <Group gap={4} wrap="nowrap">
                      {store.done && <IconCheck size={14} aria-label="done" />}
                      <Text size="xs" c="gray.8">
                        {store.name}: {formatNumber(store.days_done)} of {formatNumber(store.days_total)} days ·{" "}
                        {formatNumber(store.orders_fetched)} orders
                      </Text>
                    </Group>
                  </List.Item>
                ))}
              </List>
            )}
          </>
        )}
      </Stack>
    </Alert>
  );
}
