import { Alert, Button, Group, Modal, Select, Stack, TextInput } from "@mantine/core";
import { useState } from "react";

import { type Location, type LocationGroup, useUpdateLocation } from "@/features/locations/api";
import { HOURS } from "@/features/settings/hours";
import { errorMessage } from "@/lib/api";

const NO_GROUP = "none";

/** An admin's form for Teliporter's own settings of one store. */
export function StoreEditModal({
  store,
  groups,
  onClose,
}: {
  store: Location;
  groups: LocationGroup[];
  onClose: () => void;
}) {
  const update = useUpdateLocation();
  const [openedOn, setOpenedOn] = useState(store.opened_on ?? "");
  const [closedOn, setClosedOn] = useState(store.closed_on ?? "");
  const [startHour, setStartHour] = useState(String(store.business_day_start_hour));
  const [groupId, setGroupId] = useState(store.group_id ? String(store.group_id) : NO_GROUP);
  const closedTooEarly = Boolean(openedOn && closedOn && closedOn < openedOn);

  const save = () => {
    const body = {
      opened_on: openedOn || null,
      closed_on: closedOn || null,
      group_id: groupId === NO_GROUP ? null : Number(groupId),
      // Sent only when changed: a new start re-dates the store's sales in the background.
      ...(Number(startHour) !== store.business_day_start_hour
        ? { business_day_start_hour: Number(startHour) }
        : {}),
    };
    update.mutate({ id: store.id, body }, { onSuccess: onClose });
  };

  return (
    <Modal opened onClose={onClose} title={`Edit ${store.name}`} centered>
      <Stack gap="sm">
        {update.error && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(update.error)}
          </Alert>
        )}
        <Select
          label="Group"
          data={[{ value: NO_GROUP, label: "No group" }, ...groups.map((g) => ({ value: String(g.id), label: g.name }))]}
          value={groupId}
          onChange={(value) => value && setGroupId(value)}
          allowDeselect={false}
        />
        <TextInput
          label="Opened on"
          description="The first trading day"
          type="date"
          value={openedOn}
          onChange={(e) => setOpenedOn(e.currentTarget.value)}
        />
        <TextInput
          label="Closed on"
          description="The last trading day; leave empty while it trades"
          type="date"
          value={closedOn}
          onChange={(e) => setClosedOn(e.currentTarget.value)}
          error={closedTooEarly ? "The closing date must be on or after the opening date" : undefined}
        />
        <Select
          label="Business day starts"
          description="A later start keeps sales after midnight on the day before"
          data={HOURS}
          value={startHour}
          onChange={(value) => value && setStartHour(value)}
          allowDeselect={false}
        />
        <Group justify="flex-end" mt="sm">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={save} loading={update.isPending} disabled={closedTooEarly}>
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
