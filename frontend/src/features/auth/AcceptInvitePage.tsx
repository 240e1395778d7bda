import { Alert, Button, PasswordInput, Stack, Text } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { Link, Navigate, useSearchParams } from "react-router";

import { useAcceptInvite } from "@/features/auth/api";
import { Anchor, AuthCard } from "@/features/auth/components/AuthCard";
import { useSession } from "@/features/auth/session";
import { ApiError, errorMessage } from "@/lib/api";

export default function AcceptInvitePage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const { status } = useSession();
  const accept = useAcceptInvite();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);

  if (accept.isSuccess && status === "authenticated") return <Navigate to="/" replace />;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    accept.mutate({ token, password });
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
          <PasswordInput
            label="Password"
            description="At least 10 characters, with a letter and a digit or symbol"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={fields.password}
          />
          <PasswordInput
            label="Confirm password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(e) => setConfirm(e.currentTarget.value)}
            error={mismatch ? "The passwords do not match" : undefined}
          />
          {accept.error && !fields.password && (
            <Alert color="red" variant="light" role="alert">
              {errorMessage(accept.error)}
            </Alert>
          )}
          <Button type="submit" loading={accept.isPending} fullWidth>
            Set password and sign in
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
