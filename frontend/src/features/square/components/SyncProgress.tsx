import { Alert, Group, Loader, Text } from "@mantine/core";

import { FINISHED_STATES, useSyncRun } from "@/features/square/api";
import { errorMessage } from "@/lib/api";
import { formatNumber } from "@/lib/format";

const STATE_LABEL = {
  queued: "Queued — starts in a moment",
  running: "Syncing",
  succeeded: "Sync finished",
  failed: "Sync failed",
  skipped: "Sync skipped: another sync of this account was already running",
} as const;

/** A sync run's phase and counts, polled every 2 s until it finishes. */
export function SyncProgress({ runId }: { runId: number }) {
  const run = useSyncRun(runId);
  if (run.isError) {
    return (
      <Alert color="red" variant="light" role="alert">
        Could not follow the sync: {errorMessage(run.error)}
      </Alert>
    );
  }
  if (!run.data) {
    return (
      <Group gap="xs" role="status">
        <Loader size="xs" />
        <Text size="sm">Starting the sync…</Text>
      </Group>
    );
  }
  const r = run.data;
  const finished = FINISHED_STATES.has(r.state);
  const color = r.state === "failed" ? "red" : r.state === "succeeded" ? "green" : r.state === "skipped" ? "yellow" : "indigo";
  return (
    <Alert color={color} variant="light" role="status" data-testid="sync-progress" data-state={r.state}>
      <Group gap="xs" wrap="nowrap" align="flex-start">
        {!finished && <Loader size="xs" mt={3} aria-hidden />}
        <div>
          <Text size="sm" fw={600}>
            {STATE_LABEL[r.state]}
            {r.phase && !finished ? ` · ${r.phase}` : ""}
          </Text>
          <Text size="sm">
            {formatNumber(r.pages)} pages · {formatNumber(r.orders_seen)} orders seen ·{" "}
            {formatNumber(r.orders_written)} written
          </Text>
          {r.error && (
            <Text size="sm" c="red.9">
              {r.error}
            </Text>
          )}
        </div>
      </Group>
    </Alert>
  );
}
