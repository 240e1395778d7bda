import { Modal, Text } from "@mantine/core";

import { useMe } from "@/features/auth/api";
import { NotificationsForm } from "@/features/notifications/components/NotificationsForm";

type Member = { id: number; full_name: string; email: string; role: string };

/** An owner or admin sets up a team member's digests (from Settings → Users). */
export function TeamNotificationsModal({ user, onClose }: { user: Member; onClose: () => void }) {
  const me = useMe();
  return (
    <Modal opened onClose={onClose} title={`Notifications of ${user.full_name}`} size="lg" centered>
      <Text size="sm" c="gray.7" mb="md">
        Sent to {user.email}
        {user.role === "manager" ? ", with the figures of the stores they are given." : "."}
      </Text>
      <NotificationsForm
        owner={user.id}
        who={user.full_name}
        timezone={me.data?.organization.timezone ?? "Europe/London"}
      />
    </Modal>
  );
}
