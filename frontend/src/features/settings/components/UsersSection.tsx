import {
  Alert,
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  Title,
} from "@mantine/core";
import { useState } from "react";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { TeamNotificationsModal } from "@/features/notifications/components/TeamNotificationsModal";
import { InviteUserModal } from "@/features/settings/components/InviteUserModal";
import { StoreAccessModal } from "@/features/settings/components/StoreAccessModal";
import {
  ROLES,
  type Role,
  type User,
  useResendInvite,
  useRevokeInvite,
  useUpdateUser,
  useUsers,
} from "@/features/settings/api";
import { errorMessage } from "@/lib/api";

function StatusBadge({ user }: { user: User }) {
  if (!user.is_active) return <Badge color="gray" variant="light">Deactivated</Badge>;
  if (user.invite_pending && user.invite_open) return <Badge color="yellow" variant="light">Invited</Badge>;
  if (user.invite_pending) return <Badge color="gray" variant="light">Invite withdrawn or expired</Badge>;
  return <Badge color="green" variant="light">Active</Badge>;
}

export function UsersSection({ canEdit, meId }: { canEdit: boolean; meId: number }) {
  const users = useUsers(canEdit);
  const update = useUpdateUser();
  const resend = useResendInvite();
  const revoke = useRevokeInvite();
  const [inviting, setInviting] = useState(false);
  const [access, setAccess] = useState<User | null>(null);
  const [notifying, setNotifying] = useState<User | null>(null);
  const [confirm, setConfirm] = useState<User | null>(null);

  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="users-heading">
      <Stack gap="md">
        <Group justify="space-between">
          <Title order={2} size="h4" id="users-heading">
            Users
          </Title>
          {canEdit && <Button onClick={() => setInviting(true)}>Invite user</Button>}
        </Group>
        {!canEdit && (
          <Text size="sm" c="gray.7">
            Only owners and admins can see and manage the users.
          </Text>
        )}
        {canEdit && users.isPending && <Loading label="Loading users" />}
        {users.isError && (
          <ErrorState message={errorMessage(users.error)} onRetry={() => void users.refetch()} />
        )}
        {resend.isSuccess && (
          <Alert color="green" variant="light" role="status" withCloseButton closeButtonLabel="Dismiss" onClose={resend.reset}>
            A new invitation has been e-mailed to {resend.data.user.email}; the earlier link no longer works.
          </Alert>
        )}
        {(resend.error ?? revoke.error) && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(resend.error ?? revoke.error)}
          </Alert>
        )}
        {update.error && (
          <Alert
            color="red"
            variant="light"
            role="alert"
            withCloseButton
            closeButtonLabel="Dismiss"
            onClose={update.reset}
          >
            {errorMessage(update.error)}
          </Alert>
        )}
        {users.data && (
          // A focusable region, so keyboard users can scroll the table on a narrow screen.
          <div
            role="region"
            aria-labelledby="users-heading"
            tabIndex={0}
            style={{ overflowX: "auto", position: "relative" }}
          >
            <Table verticalSpacing="sm" miw={640} data-testid="users-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {users.data.items.map((user) => (
                  <Table.Tr key={user.id}>
                    <Table.Td>{user.full_name}</Table.Td>
                    <Table.Td>{user.email}</Table.Td>
                    <Table.Td>
                      <Select
                        aria-label={`Role of ${user.full_name}`}
                        data={ROLES.map((r) => ({ value: r.value, label: r.label }))}
                        value={user.role}
                        onChange={(role) =>
                          role &&
                          role !== user.role &&
                          update.mutate({ id: user.id, body: { role: role as Role } })
                        }
                        allowDeselect={false}
                        disabled={user.id === meId}
                        w={130}
                        size="xs"
                      />
                    </Table.Td>
                    <Table.Td>
                      <StatusBadge user={user} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap="xs" justify="flex-end" wrap="nowrap">
                        {user.role === "manager" && (
                          <Button size="xs" variant="light" onClick={() => setAccess(user)}>
                            Store access
                          </Button>
                        )}
                        {user.is_active && (
                          <Button
                            size="xs"
                            variant="light"
                            onClick={() => setNotifying(user)}
                            aria-label={`Notifications of ${user.full_name}`}
                          >
                            Notifications
                          </Button>
                        )}
                        {user.is_active && user.invite_pending && (
                          <Button
                            size="xs"
                            variant="light"
                            loading={resend.isPending && resend.variables === user.id}
                            onClick={() => resend.mutate(user.id)}
                          >
                            {user.invite_open ? "Resend invite" : "Invite again"}
                          </Button>
                        )}
                        {user.is_active && user.invite_open && (
                          <Button
                            size="xs"
                            variant="subtle"
                            color="red"
                            loading={revoke.isPending && revoke.variables === user.id}
                            onClick={() => revoke.mutate(user.id)}
                          >
                            Withdraw invite
                          </Button>
                        )}
                        {user.id !== meId &&
                          (user.is_active ? (
                            <Button
                              size="xs"
                              variant="subtle"
                              color="red"
                              onClick={() => setConfirm(user)}
                            >
                              Deactivate
                            </Button>
                          ) : (
                            <Button
                              size="xs"
                              variant="subtle"
                              onClick={() =>
                                update.mutate({ id: user.id, body: { is_active: true } })
                              }
                            >
                              Reactivate
                            </Button>
                          ))}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
        )}
      </Stack>
      <InviteUserModal opened={inviting} onClose={() => setInviting(false)} />
      {access && <StoreAccessModal user={access} onClose={() => setAccess(null)} />}
      {notifying && <TeamNotificationsModal user={notifying} onClose={() => setNotifying(null)} />}
      <Modal
        opened={confirm !== null}
        onClose={() => setConfirm(null)}
        title="Deactivate user?"
        centered
      >
        <Stack gap="md">
          <Text>
            {confirm?.full_name} will be signed out everywhere and can no longer sign in. You can
            reactivate them later.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(null)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={update.isPending}
              onClick={() =>
                confirm &&
                update.mutate(
                  { id: confirm.id, body: { is_active: false } },
                  { onSettled: () => setConfirm(null) },
                )
              }
            >
              Deactivate
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}
