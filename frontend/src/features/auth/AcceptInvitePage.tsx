import { Alert, Button, Stack, Text } from "@mantine/core";
import type { FormEvent } from "react";
import { Link, Navigate, useSearchParams } from "react-router";

import { useAcceptInvite } from "@/features/auth/api";
import { Anchor, AuthCard, FormError } from "@/features/auth/components/AuthCard";
import { NewPasswordFields, useNewPassword } from "@/features/auth/components/NewPasswordFields";
import { useSession } from "@/features/auth/session";
import { ApiError } from "@/lib/api";

export default function AcceptInvitePage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const { status } = useSession();
  const accept = useAcceptInvite();
  const chosen = useNewPassword();

  if (accept.isSuccess && status === "authenticated") return <Navigate to="/" replace />;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (chosen.check()) accept.mutate({ token, password: chosen.password });
  };
  const fields = accept.error instanceof ApiError ? accept.error.fields : {};

  if (!token) {
    return (
      <AuthCard title="Accept your invitation">
        <Alert color="red" variant="light" role="alert">
          This link has no invitation in it. Ask whoever invited you to send the link again.
        </Alert>
        <Anchor component={Link} to="/sign-in">
          Go to sign in
        </Anchor>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Accept your invitation">
      <Text c="gray.7" size="sm">
        Choose a password to finish setting up your account.
      </Text>
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          <NewPasswordFields state={chosen} error={fields.password} />
          <FormError error={accept.error} shown={["password"]} />
          <Button type="submit" loading={accept.isPending} fullWidth>
            Set password and sign in
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
