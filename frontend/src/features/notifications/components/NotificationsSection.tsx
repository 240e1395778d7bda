import { Paper, Stack, Text, Title } from "@mantine/core";

import { useMe } from "@/features/auth/api";
import { NotificationsForm } from "@/features/notifications/components/NotificationsForm";

/** One's own notifications, on the settings page's Notifications tab. */
export function NotificationsSection() {
  const me = useMe();
  if (!me.data) return null;
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="notifications-heading">
      <Stack gap="md">
        <Stack gap={2}>
          <Title order={2} size="h4" id="notifications-heading">
            Your notifications
          </Title>
          <Text size="sm" c="gray.7">
            E-mails to {me.data.email}
            {me.data.role === "manager" ? ", with the figures of your stores." : ", with every store's figures."}
          </Text>
        </Stack>
        <NotificationsForm owner="me" timezone={me.data.organization.timezone} />
      </Stack>
    </Paper>
  );
}
