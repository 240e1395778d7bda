import { Alert, Badge, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { type ReactNode, useState } from "react";

import { DisconnectModal } from "@/features/square/components/DisconnectModal";
import { SyncProgress } from "@/features/square/components/SyncProgress";
import { HistoryProgress } from "@/features/square/components/HistoryProgress";
import { backfillPercent, type Connection, useConnectSquare, useStartSync } from "@/features/square/api";
import { errorMessage } from "@/lib/api";
import { formatDateTime, formatNumber, formatRelative } from "@/lib/format";

function StatusBadge({ status }: { status: Connection["status"] }) {
  if (status === "active") return <Badge color="green" variant="light">Connected</Badge>;
  if (status === "needs_reconnect") return <Badge color="orange" variant="light">Needs reconnect</Badge>;
  return <Badge color="gray" variant="light">Disconnected</Badge>;
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm">{children}</Text>
    </div>
  );
}

function When({ iso, empty }: { iso: string | null; empty: string }) {
  if (!iso) return <>{empty}</>;
  return <span title={formatDateTime(iso)}>{formatRelative(iso)}</span>;
}

/** One connected Square account: its state, schedule, and (for admins) sync and disconnect. */
export function ConnectionCard({ connection: c, canEdit }: { connection: Connection; canEdit: boolean }) {
  const sync = useStartSync();
  const reconnect = useConnectSquare();
  const [runId, setRunId] = useState<number | null>(null);
  const [disconnecting, setDisconnecting] = useState(false);
  const name = c.merchant_name ?? c.merchant_id;
  const headingId = `square-connection-${c.id}`;

  const onSync = () =>
    sync.mutate(c.id, { onSuccess: ({ runs }) => setRunId(runs[0]?.id ?? null) });

  return (
    <Paper withBorder p="md" radius="md" component="article" aria-labelledby={headingId} data-testid="square-connection">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Group gap="sm">
            <Title order={3} size="h5" id={headingId}>
              {name}
            </Title>
            <StatusBadge status={c.status} />
          </Group>
          {canEdit && (
            <Group gap="xs">
              {c.status === "active" && (
                <Button size="xs" variant="light" onClick={onSync} loading={sync.isPending}>
                  Sync now
                </Button>
              )}
              {c.status !== "active" && (
                <Button size="xs" onClick={() => reconnect.mutate()} loading={reconnect.isPending}>
                  Reconnect
                </Button>
              )}
              {c.status !== "disconnected" && (
                <Button size="xs" variant="subtle" color="red" onClick={() => setDisconnecting(true)}>
                  Disconnect
                </Button>
              )}
            </Group>
          )}
        </Group>
        {c.status === "needs_reconnect" && (
          <Alert
            color="orange"
            variant="light"
            role="alert"
            icon={<IconAlertTriangle size={18} aria-hidden />}
            title="Square stopped accepting this connection"
          >
            Syncing is paused until the account is reconnected
            {canEdit ? "." : " by an owner or admin."}
            {c.last_error && (
              <Text size="sm" mt={4}>
                Square said: {c.last_error}
              </Text>
            )}
          </Alert>
        )}
        {c.status === "active" && c.last_error && (
          <Alert color="yellow" variant="light" title="The last sync had a problem">
            {c.last_error}
          </Alert>
        )}
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
          <Fact label="Stores">{formatNumber(c.location_count)}</Fact>
          <Fact label="Last sync">
            <When iso={c.last_sync_at} empty="Not yet" />
          </Fact>
          <Fact label="Next sync">
            <When iso={c.next_sync_at} empty="Not scheduled" />
          </Fact>
          <Fact label="History">
            {c.backfill_complete ? (
              "Backfill complete"
            ) : c.status !== "active" ? (
              "Backfill incomplete"
            ) : c.sync.activity === "queued" ? (
              <span data-testid="backfill-in-progress">Waiting to start</span>
            ) : (
              <span data-testid="backfill-in-progress">
                Loading{c.sync.backfill ? ` · ${backfillPercent(c.sync.backfill)}%` : "…"}
              </span>
            )}
          </Fact>
        </SimpleGrid>
        {sync.error && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(sync.error)}
          </Alert>
        )}
        {reconnect.error && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(reconnect.error)}
          </Alert>
        )}
        <HistoryProgress connection={c} />
        {runId !== null && (
          <SyncProgress
            runId={runId}
            queuedBehind={c.sync.activity === "queued" ? c.sync.queued_behind : null}
          />
        )}
      </Stack>
      {disconnecting && <DisconnectModal connection={c} onClose={() => setDisconnecting(false)} />}
    </Paper>
  );
}
