import { Alert, Button, Checkbox, Group, Modal, Stack, Text } from "@mantine/core";
import { useEffect, useState } from "react";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { useLocations } from "@/features/locations/api";
import { type User, useSetUserLocations, useUserLocations } from "@/features/settings/api";
import { errorMessage } from "@/lib/api";

/** Chooses the stores a manager may see. */
export function StoreAccessModal({ user, onClose }: { user: User; onClose: () => void }) {
  const locations = useLocations();
  const grants = useUserLocations(user.id);
  const save = useSetUserLocations(user.id);
  const [selected, setSelected] = useState<string[]>([]);

  useEffect(() => {
    if (grants.data) setSelected(grants.data.location_ids.map(String));
  }, [grants.data]);

  const failed = locations.error ?? grants.error;
  return (
    <Modal opened onClose={onClose} title={`Store access for ${user.full_name}`} centered>
      <Stack gap="md">
        {(locations.isPending || grants.isPending) && !failed && <Loading label="Loading stores" />}
        {failed && <ErrorState message={errorMessage(failed)} />}
        {locations.data && grants.data && locations.data.items.length === 0 && (
          <Text>No stores yet: they appear here once Square is connected.</Text>
        )}
        {locations.data && grants.data && locations.data.items.length > 0 && (
          <Checkbox.Group
            label="Stores this manager can see"
            value={selected}
            onChange={setSelected}
          >
            <Stack gap="xs" mt="xs">
              {locations.data.items.map((l) => (
                <Checkbox key={l.id} value={String(l.id)} label={l.name} />
              ))}
            </Stack>
          </Checkbox.Group>
        )}
        {save.error && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(save.error)}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            loading={save.isPending}
            disabled={!grants.data || !locations.data?.items.length}
            onClick={() => save.mutate(selected.map(Number), { onSuccess: onClose })}
          >
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
