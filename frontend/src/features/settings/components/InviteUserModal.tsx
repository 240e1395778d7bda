import {
  Alert,
  Button,
  CopyButton,
  Group,
  Modal,
  Select,
  Stack,
  Text,
  TextInput,
} from "@mantine/core";
import { type FormEvent, useState } from "react";

import { ROLES, type Role, useCreateUser } from "@/features/settings/api";
import { ApiError, errorMessage } from "@/lib/api";

const EMPTY = { email: "", full_name: "", role: "viewer" as Role };

/** Invites a user by email; the one-time link is shown once, to pass on to them. */
export function InviteUserModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const create = useCreateUser();
  const [form, setForm] = useState(EMPTY);

  const close = () => {
    setForm(EMPTY);
    create.reset();
    onClose();
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(form);
  };
  const fields = create.error instanceof ApiError ? create.error.fields : {};
  const token = create.data?.invite_token;
  const link = token ? `${window.location.origin}/accept-invite?token=${encodeURIComponent(token)}` : "";

  return (
    <Modal opened={opened} onClose={close} title="Invite a user" centered>
      {create.isSuccess ? (
        <Stack gap="md">
          <Text>
            {create.data.user.full_name} has been added as{" "}
            {ROLES.find((r) => r.value === create.data.user.role)?.label.toLowerCase()}.
          </Text>
          {link && (
            <>
              <Text size="sm" data-testid="invite-mailed">
                We have e-mailed them an invitation to {create.data.user.email}. You can also send
                them this link yourself: it is shown only once and works for 7 days.
              </Text>
              <TextInput
                label="Invitation link"
                value={link}
                readOnly
                onFocus={(e) => e.currentTarget.select()}
                data-testid="invite-link"
              />
              <Group justify="space-between">
                <CopyButton value={link}>
                  {({ copied, copy }) => (
                    <Button variant="light" onClick={copy}>
                      {copied ? "Copied" : "Copy link"}
                    </Button>
                  )}
                </CopyButton>
                <Button onClick={close}>Done</Button>
              </Group>
            </>
          )}
        </Stack>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <Stack gap="md">
            <TextInput
              label="Email"
              type="email"
              required
              data-autofocus
              value={form.email}
              onChange={(e) => setForm({ ...form, email: e.currentTarget.value })}
              error={fields.email}
            />
            <TextInput
              label="Full name"
              required
              value={form.full_name}
              onChange={(e) => setForm({ ...form, full_name: e.currentTarget.value })}
              error={fields.full_name}
            />
            <Select
              label="Role"
              data={ROLES.map((r) => ({ value: r.value, label: `${r.label} · ${r.help}` }))}
              value={form.role}
              onChange={(value) => value && setForm({ ...form, role: value as Role })}
              allowDeselect={false}
              error={fields.role}
            />
            {create.error && !Object.keys(fields).length && (
              <Alert color="red" variant="light" role="alert">
                {errorMessage(create.error)}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending}>
                Send invite
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
