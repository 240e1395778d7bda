import { Alert, Button, Group, Modal, MultiSelect, Paper, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useState } from "react";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import {
  type LocationGroup,
  useCreateLocationGroup,
  useDeleteLocationGroup,
  useLocationGroups,
  useLocations,
  useUpdateLocationGroup,
} from "@/features/locations/api";
import { errorMessage } from "@/lib/api";

type Editing = { group: LocationGroup | null };

/** Create or change a group: its name and its stores (a store is in one group at most, so
 * choosing it here moves it from any other). */
function GroupModal({ editing, onClose }: { editing: Editing; onClose: () => void }) {
  const stores = useLocations();
  const create = useCreateLocationGroup();
  const update = useUpdateLocationGroup();
  const group = editing.group;
  const [name, setName] = useState(group?.name ?? "");
  const [storeIds, setStoreIds] = useState<string[]>((group?.location_ids ?? []).map(String));
  const error = create.error ?? update.error;
  const pending = create.isPending || update.isPending;
  const options = (stores.data?.items ?? []).map((s) => ({ value: String(s.id), label: s.name }));

  const save = () => {
    const body = { name: name.trim(), location_ids: storeIds.map(Number) };
    if (group) update.mutate({ id: group.id, body }, { onSuccess: onClose });
    else create.mutate(body, { onSuccess: onClose });
  };

  return (
    <Modal opened onClose={onClose} title={group ? `Edit ${group.name}` : "New group"} centered>
      <Stack gap="sm">
        {error && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(error)}
          </Alert>
        )}
        <TextInput
          label="Group name"
          description="An area or region, e.g. the stores of one area manager"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          maxLength={120}
          required
        />
        <MultiSelect
          label="Stores in this group"
          description="A store moves here from any other group"
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
          <Button onClick={save} loading={pending} disabled={!name.trim()}>
            {group ? "Save" : "Create group"}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** The store groups (areas, regions) a chain reports by; admins create, rename, fill and delete
 * them, everyone else reads them. */
export function GroupsSection({ canEdit }: { canEdit: boolean }) {
  const groups = useLocationGroups();
  const stores = useLocations();
  const remove = useDeleteLocationGroup();
  const [editing, setEditing] = useState<Editing | null>(null);
  const storeName = new Map((stores.data?.items ?? []).map((s) => [s.id, s.name]));
  const ungrouped = (stores.data?.items ?? []).filter((s) => !s.group_id).length;

  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="groups-heading">
      <Stack gap="md">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h4" id="groups-heading">
            Store groups
          </Title>
          {canEdit && (
            <Button size="sm" onClick={() => setEditing({ group: null })}>
              New group
            </Button>
          )}
        </Group>
        <Text size="sm" c="gray.8">
          Group stores into areas or regions to filter reports by group and see them side by side
          (the &quot;By group&quot; tab of Reports and the workbook). A store is in one group at most;
          stores in none are reported as &quot;No group&quot;.
        </Text>
        {groups.isPending && <Loading label="Loading the groups" />}
        {groups.isError && <ErrorState message={errorMessage(groups.error)} onRetry={() => void groups.refetch()} />}
        {remove.error && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(remove.error)}
          </Alert>
        )}
        {groups.data && groups.data.length === 0 && (
          <Text size="sm" c="dimmed" data-testid="groups-empty">
            No groups yet.
          </Text>
        )}
        {groups.data && groups.data.length > 0 && (
          <Table.ScrollContainer minWidth={420}>
            <Table verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Group</Table.Th>
                  <Table.Th scope="col">Stores</Table.Th>
                  {canEdit && (
                    <Table.Th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </Table.Th>
                  )}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {groups.data.map((group) => (
                  <Table.Tr key={group.id} data-testid={`group-row-${group.id}`}>
                    <Table.Th scope="row">{group.name}</Table.Th>
                    <Table.Td>
                      {group.location_ids.length
                        ? group.location_ids.map((id) => storeName.get(id) ?? `#${id}`).join(", ")
                        : "No stores"}
                    </Table.Td>
                    {canEdit && (
                      <Table.Td>
                        <Group gap="xs" wrap="nowrap">
                          <Button
                            variant="light"
                            size="xs"
                            onClick={() => setEditing({ group })}
                            aria-label={`Edit group ${group.name}`}
                          >
                            Edit
                          </Button>
                          <Button
                            variant="subtle"
                            color="red"
                            size="xs"
                            loading={remove.isPending && remove.variables === group.id}
                            onClick={() => {
                              if (window.confirm(`Delete the group ${group.name}? Its stores will be in no group.`))
                                remove.mutate(group.id);
                            }}
                            aria-label={`Delete group ${group.name}`}
                          >
                            Delete
                          </Button>
                        </Group>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {stores.data && groups.data && groups.data.length > 0 && ungrouped > 0 && (
          <Text size="sm" c="gray.7">
            {ungrouped === 1 ? "1 store is" : `${ungrouped} stores are`} in no group.
          </Text>
        )}
        {!canEdit && (
          <Text size="sm" c="gray.7">
            Only owners and admins can change groups.
          </Text>
        )}
      </Stack>
      {editing && <GroupModal editing={editing} onClose={() => setEditing(null)} />}
    </Paper>
  );
}
