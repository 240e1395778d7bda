import { Alert, Button, Checkbox, Group, Modal, Stack, Text } from "@mantine/core";
import { useState } from "react";

import { type Connection, useDisconnect } from "@/features/square/api";
import { errorMessage } from "@/lib/api";

/** Confirms disconnecting a Square account, optionally deleting what was synced from it. */
export function DisconnectModal({ connection, onClose }: { connection: Connection; onClose: () => void }) {
  const disconnect = useDisconnect();
  const [purge, setPurge] = useState(false);
  const name = connection.merchant_name ?? connection.merchant_id;
  return (
    <Modal opened onClose={onClose} title={`Disconnect ${name}?`} centered>
      <Stack gap="md">
        <Text size="sm">
          Teliporter stops syncing this Square account and gives back its access. Reports keep the
          sales already synced unless you delete them too.
        </Text>
        <Checkbox
          checked={purge}
          onChange={(e) => setPurge(e.currentTarget.checked)}
          label="Also delete the synced sales history"
          description="This cannot be undone; reconnecting later syncs the history again."
          color="red"
        />
        {disconnect.error && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(disconnect.error)}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            // Shade 9: white on Mantine's default red falls short of WCAG AA contrast.
            color="red.9"
            loading={disconnect.isPending}
            onClick={() => disconnect.mutate({ id: connection.id, purge }, { onSuccess: onClose })}
          >
            {purge ? "Disconnect and delete" : "Disconnect"}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
