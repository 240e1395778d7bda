import {
  Alert,
  Badge,
  Button,
  CopyButton,
  Group,
  Modal,
  MultiSelect,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useState } from "react";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { type ApiKey, useApiKeys, useCreateApiKey, useRevokeApiKey } from "@/features/apikeys/api";
import { useLocations } from "@/features/locations/api";
import { errorMessage } from "@/lib/api";

function when(value: string | null | undefined): string {
  return value ? new Date(value).toLocaleString() : "Never";
}

/** Name a new key and choose its stores; then show the key, once, with a copy button. */
function CreateKeyModal({ onClose }: { onClose: () => void }) {
  const stores = useLocations();
  const create = useCreateApiKey();
  const [name, setName] = useState("");
  const [storeIds, setStoreIds] = useState<string[]>([]);
  const options = (stores.data?.items ?? []).map((s) => ({ value: String(s.id), label: s.name }));

  const save = () =>
    create.mutate({
      name: name.trim(),
      location_ids: storeIds.length ? storeIds.map(Number) : null,
    });

  return (
    <Modal opened onClose={onClose} title={create.data ? "Your new API key" : "New API key"} centered>
      {create.data ? (
        <Stack gap="md">
          <Text size="sm" data-testid="api-key-once">
            Copy this key into your people counters&apos; settings now: it is shown only this once.
            Teliporter keeps only a fingerprint of it.
          </Text>
          <TextInput
            label="API key"
            value={create.data.key}
            readOnly
            onFocus={(e) => e.currentTarget.select()}
            data-testid="api-key-secret"
          />
          <Group justify="space-between">
            <CopyButton value={create.data.key}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy}>
                  {copied ? "Copied" : "Copy key"}
                </Button>
              )}
            </CopyButton>
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <Stack gap="sm">
          {create.error && (
            <Alert color="red" variant="light" role="alert">
              {errorMessage(create.error)}
            </Alert>
          )}
          <TextInput
            label="Key name"
            description="What uses it, e.g. the door counters' vendor"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            maxLength={120}
            required
            data-autofocus
          />
          <MultiSelect
            label="Stores it may send counts for"
            description="Leave empty for every store"
            data={options}
            value={storeIds}
            onChange={setStoreIds}
            searchable
            clearable
          />
          <Group justify="flex-end" mt="sm">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button onClick={save} loading={create.isPending} disabled={!name.trim()}>
              Create key
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

/** Organization API keys, with which people counters push footfall (POST /footfall/counts).
 * Owners and admins create, see and revoke them; nobody sees a key again after its creation. */
export function ApiKeysSection({ canEdit }: { canEdit: boolean }) {
  const keys = useApiKeys(canEdit);
  const stores = useLocations();
  const revoke = useRevokeApiKey();
  const [creating, setCreating] = useState(false);
  const storeName = new Map((stores.data?.items ?? []).map((s) => [s.id, s.name]));
  const scope = (key: ApiKey) =>
    key.location_ids ? key.location_ids.map((id) => storeName.get(id) ?? `#${id}`).join(", ") : "Every store";

  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="api-keys-heading">
      <Stack gap="md">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h4" id="api-keys-heading">
            API keys
          </Title>
          {canEdit && (
            <Button size="sm" onClick={() => setCreating(true)}>
              New API key
            </Button>
          )}
        </Group>
        <Text size="sm" c="gray.8">
          People counters send their visitor counts to Teliporter with a key: the counts become your
          stores&apos; footfall, replacing typed figures for the days they cover. A key can only send
          counts for its stores, and nothing else.
        </Text>
        {!canEdit && (
          <Text size="sm" c="gray.7">
            Only owners and admins manage API keys.
          </Text>
        )}
        {canEdit && keys.isPending && <Loading label="Loading the API keys" />}
        {keys.isError && <ErrorState message={errorMessage(keys.error)} onRetry={() => void keys.refetch()} />}
        {revoke.error && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(revoke.error)}
          </Alert>
        )}
        {keys.data && keys.data.items.length === 0 && (
          <Text size="sm" c="dimmed" data-testid="api-keys-empty">
            No API keys yet.
          </Text>
        )}
        {keys.data && keys.data.items.length > 0 && (
          <Table.ScrollContainer minWidth={640}>
            <Table verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Name</Table.Th>
                  <Table.Th scope="col">Key</Table.Th>
                  <Table.Th scope="col">Stores</Table.Th>
                  <Table.Th scope="col">Created</Table.Th>
                  <Table.Th scope="col">Last used</Table.Th>
                  <Table.Th scope="col">
                    <span className="visually-hidden">Status</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {keys.data.items.map((key) => (
                  <Table.Tr key={key.id} data-testid={`api-key-row-${key.id}`}>
                    <Table.Th scope="row">{key.name}</Table.Th>
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        tpk_{key.prefix}_…
                      </Text>
                    </Table.Td>
                    <Table.Td>{scope(key)}</Table.Td>
                    <Table.Td>
                      {when(key.created_at)}
                      {key.created_by_name ? ` by ${key.created_by_name}` : ""}
                    </Table.Td>
                    <Table.Td>{when(key.last_used_at)}</Table.Td>
                    <Table.Td>
                      {key.revoked_at ? (
                        <Badge color="gray" variant="light">
                          Revoked
                        </Badge>
                      ) : (
                        <Button
                          variant="subtle"
                          color="red"
                          size="xs"
                          loading={revoke.isPending && revoke.variables === key.id}
                          onClick={() => {
                            if (window.confirm(`Revoke the key ${key.name}? Counters using it will be refused at once.`))
                              revoke.mutate(key.id);
                          }}
                          aria-label={`Revoke key ${key.name}`}
                        >
                          Revoke
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
      {creating && <CreateKeyModal onClose={() => setCreating(false)} />}
    </Paper>
  );
}
