import { Alert, Button, Stack, Text } from "@mantine/core";
import { Link, useSearchParams } from "react-router";

import { Anchor, AuthCard } from "@/features/auth/components/AuthCard";
import { useUnsubscribe, useUnsubscribeLink } from "@/features/notifications/api";
import { errorMessage } from "@/lib/api";

/** The page a digest's unsubscribe link opens (no sign-in): what it switches off, and a button
 * that does it, as a mail client's one-click unsubscribe does. */
export default function UnsubscribePage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const link = useUnsubscribeLink(token);
  const unsubscribe = useUnsubscribe(token);
  const settings = (
    <Anchor component={Link} to="/settings/notifications">
      Change your notification settings
    </Anchor>
  );

  if (!token) {
    return (
      <AuthCard title="Unsubscribe" footer={settings}>
        <Alert color="red" variant="light" role="alert">
          This link has no unsubscribe token in it. Open the link from the e-mail again.
        </Alert>
      </AuthCard>
    );
  }
  if (link.isPending) {
    return (
      <AuthCard title="Unsubscribe" footer={settings}>
        <Text role="status">Checking the link…</Text>
      </AuthCard>
    );
  }
  if (link.isError) {
    return (
      <AuthCard title="Unsubscribe" footer={settings}>
        <Alert color="red" variant="light" role="alert">
          {errorMessage(link.error)}
        </Alert>
      </AuthCard>
    );
  }

  const { frequency, email, organization, enabled } = link.data;
  const what = `the ${frequency} digest of ${organization}`;
  return (
    <AuthCard title="Unsubscribe" footer={settings}>
      {enabled ? (
        <Stack gap="md">
          <Text data-testid="unsubscribe-what">
            Stop sending {what} to <strong>{email}</strong>?
          </Text>
          {unsubscribe.error && (
            <Alert color="red" variant="light" role="alert">
              {errorMessage(unsubscribe.error)}
            </Alert>
          )}
          <Button color="red" loading={unsubscribe.isPending} onClick={() => unsubscribe.mutate()} fullWidth>
            Unsubscribe
          </Button>
          <Text size="sm" c="gray.7">
            Other e-mails, such as exception alerts, are not affected.
          </Text>
        </Stack>
      ) : (
        <Alert color="green" variant="light" role="status" data-testid="unsubscribed">
          {email} no longer receives {what}. You can switch it on again in your notification settings.
        </Alert>
      )}
    </AuthCard>
  );
}
