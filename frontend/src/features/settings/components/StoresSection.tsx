import { Alert, Badge, Button, Group, Paper, Progress, Select, Stack, Table, Text, Title } from "@mantine/core";
import { useState } from "react";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { type Location, useLocationGroups, useLocations, useUpdateLocation } from "@/features/locations/api";
import { describeRecalculation, isPending, percentDone } from "@/features/locations/recalculation";
import { StoreEditModal } from "@/features/settings/components/StoreEditModal";
import { HOURS } from "@/features/settings/hours";
import { errorMessage } from "@/lib/api";


function RecalculationStatus({ store }: { store: Location }) {
  const job = store.recalculation;
  if (!job) return null;
  const pending = isPending(job);
  return (
    <Stack gap={4} data-testid={`recalculation-${store.id}`}>
      <Group gap="xs">
        <Badge color={job.state === "failed" ? "red" : pending ? "yellow" : "teal"} variant="light">
          {job.state === "done" ? "Up to date" : job.state}
        </Badge>
        <Text size="xs" c="gray.8">
          {describeRecalculation(job)}
        </Text>
      </Group>
      {pending && job.state !== "queued" && (
        <Progress value={percentDone(job)} size="sm" aria-label={`Recalculation of ${store.name}`} />
      )}
      <Text size="xs" c="gray.7">
        {job.reason}
      </Text>
    </Stack>
  );
}

/** Every store with Teliporter's own settings of it — group, opening and closing dates,
 * business-day start — and the recalculation of its figures a new business-day start starts. */
export function StoresSection({ canEdit }: { canEdit: boolean }) {
  const stores = useLocations();
  const groups = useLocationGroups();
  const update = useUpdateLocation();
  const [editing, setEditing] = useState<Location | null>(null);
  const groupName = new Map((groups.data ?? []).map((g) => [g.id, g.name]));
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="stores-heading">
      <Stack gap="md">
        <Title order={2} size="h4" id="stores-heading">
          Stores
        </Title>
        <Text size="sm" c="gray.8">
          A store open past midnight can start its business day later: with 04:00, a sale at 01:30
          counts for the day before. Changing it recalculates the store&apos;s figures in the
          background; reports say so until it is done. Opening and closing dates say when a store
          traded; its group is the area or region it reports under.
        </Text>
        {stores.isPending && <Loading label="Loading the stores" />}
        {stores.isError && <ErrorState message={errorMessage(stores.error)} onRetry={() => void stores.refetch()} />}
        {update.error && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(update.error)}
          </Alert>
        )}
        {stores.data && stores.data.items.length === 0 && (
          <Text size="sm" c="dimmed" data-testid="stores-empty">
            No stores yet: they appear here once a Square account is connected and synced.
          </Text>
        )}
        {stores.data && stores.data.items.length > 0 && (
          <Table.ScrollContainer minWidth={960}>
            <Table verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Store</Table.Th>
                  <Table.Th scope="col">Timezone</Table.Th>
                  <Table.Th scope="col">Currency</Table.Th>
                  <Table.Th scope="col">Group</Table.Th>
                  <Table.Th scope="col">Opened on</Table.Th>
                  <Table.Th scope="col">Closed on</Table.Th>
                  <Table.Th scope="col">Business day starts</Table.Th>
                  <Table.Th scope="col">Figures</Table.Th>
                  {canEdit && (
                    <Table.Th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </Table.Th>
                  )}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {stores.data.items.map((store) => (
                  <Table.Tr key={store.id} data-testid={`store-row-${store.id}`}>
                    <Table.Th scope="row">{store.name}</Table.Th>
                    <Table.Td>{store.timezone}</Table.Td>
                    <Table.Td>{store.currency}</Table.Td>
                    <Table.Td data-testid={`store-group-${store.id}`}>
                      {store.group_id ? (groupName.get(store.group_id) ?? "—") : "No group"}
                    </Table.Td>
                    <Table.Td data-testid={`store-opened-${store.id}`}>
                      {store.opened_on ?? "—"}
                    </Table.Td>
                    <Table.Td data-testid={`store-closed-${store.id}`}>
                      {store.closed_on ?? "—"}
                    </Table.Td>
                    <Table.Td>
                      <Select
                        aria-label={`Business day start of ${store.name}`}
                        data={HOURS}
                        value={String(store.business_day_start_hour)}
                        onChange={(value) => {
                          if (value === null || Number(value) === store.business_day_start_hour) return;
                          update.mutate({ id: store.id, body: { business_day_start_hour: Number(value) } });
                        }}
                        allowDeselect={false}
                        readOnly={!canEdit}
                        disabled={update.isPending}
                        w={110}
                      />
                    </Table.Td>
                    <Table.Td>
                      <RecalculationStatus store={store} />
                    </Table.Td>
                    {canEdit && (
                      <Table.Td>
                        <Button
                          variant="light"
                          size="xs"
                          onClick={() => setEditing(store)}
                          aria-label={`Edit ${store.name}`}
                        >
                          Edit
                        </Button>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {!canEdit && (
          <Text size="sm" c="gray.7">
            Only owners and admins can change these.
          </Text>
        )}
        {editing && (
          <StoreEditModal store={editing} groups={groups.data ?? []} onClose={() => setEditing(null)} />
        )}
      </Stack>
    </Paper>
  );
}
