import { Alert, Button, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { IconPlugConnected } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";

import { EmptyState } from "@/components/ui/EmptyState";
import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { ConnectionCard } from "@/features/square/components/ConnectionCard";
import { readOutcome, useConnections, useConnectSquare } from "@/features/square/api";
import { errorMessage } from "@/lib/api";

/** Square accounts: connect (admins and owners), status, sync now, disconnect. */
export function SquareConnectionsSection({ canEdit }: { canEdit: boolean }) {
  const [params, setParams] = useSearchParams();
  // The OAuth callback's outcome, read once; the URL is then cleaned so a reload does not repeat it.
  const [outcome, setOutcome] = useState(() => readOutcome(params));
  const connections = useConnections();
  const connect = useConnectSquare();

  useEffect(() => {
    if (params.has("square") || params.has("message")) {
      const next = new URLSearchParams(params);
      next.delete("square");
      next.delete("message");
      setParams(next, { replace: true });
    }
  }, [params, setParams]);

  const connectButton = canEdit && (
    <Button
      leftSection={<IconPlugConnected size={18} aria-hidden />}
      onClick={() => connect.mutate()}
      loading={connect.isPending}
    >
      Connect Square account
    </Button>
  );
  const items = connections.data?.items ?? [];

  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="square-heading">
      <Stack gap="md">
        <Group justify="space-between">
          <Title order={2} size="h4" id="square-heading">
            Square connections
          </Title>
          {items.length > 0 && connectButton}
        </Group>
        {outcome && (
          <Alert
            color={outcome.ok ? "green" : "red"}
            variant="light"
            title={outcome.title}
            role={outcome.ok ? "status" : "alert"}
            withCloseButton
            closeButtonLabel="Dismiss"
            onClose={() => setOutcome(null)}
            data-testid="square-outcome"
          >
            {outcome.message}
          </Alert>
        )}
        {!canEdit && (
          <Text size="sm" c="gray.7">
            Only owners and admins can connect, sync or disconnect Square accounts.
          </Text>
        )}
        {connect.error && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(connect.error)}
          </Alert>
        )}
        {connections.isPending && <Loading label="Loading Square connections" />}
        {connections.isError && (
          <ErrorState
            title="Could not load the Square connections"
            message={errorMessage(connections.error)}
            onRetry={() => void connections.refetch()}
          />
        )}
        {connections.data && items.length === 0 && (
          <EmptyState
            title="No Square account connected yet"
            icon={<IconPlugConnected size={40} stroke={1.5} aria-hidden />}
            action={connectButton || undefined}
          >
            Teliporter reads your stores, sales and refunds from Square. Connecting takes you to
            Square to allow read-only access; your stores and history then sync in the background.
            {!canEdit && " Ask an owner or admin to connect it."}
          </EmptyState>
        )}
        {items.map((c) => (
          <ConnectionCard key={c.id} connection={c} canEdit={canEdit} />
        ))}
      </Stack>
    </Paper>
  );
}
