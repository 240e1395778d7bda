import { Alert, Button, PasswordInput, Stack, Text } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { Link, Navigate, useSearchParams } from "react-router";

import { useResetPassword } from "@/features/auth/api";
import { Anchor, AuthCard } from "@/features/auth/components/AuthCard";
import { ApiError, errorMessage } from "@/lib/api";

export default function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const reset = useResetPassword();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);

  if (reset.isSuccess) return <Navigate to="/sign-in?reset=1" replace />;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    reset.mutate({ token, password });
  };
  const fields = reset.error instanceof ApiError ? reset.error.fields : {};
  const again = (
    <Anchor component={Link} to="/forgot-password">
      Ask for a new link
    </Anchor>
  );

  if (!token) {
    return (
      <AuthCard title="Choose a new password" footer={again}>
        <Alert color="red" variant="light" role="alert">
          This link has no reset token in it. Open the link from the e-mail again, or ask for a new
          one.
        </Alert>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Choose a new password" footer={again}>
      <Text c="gray.7" size="sm">
        Setting a new password signs you out on every device.
      </Text>
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          <PasswordInput
            label="New password"
            description="At least 10 characters, with a letter and a digit or symbol"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={fields.password}
          />
          <PasswordInput
            label="Confirm new password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(e) => setConfirm(e.currentTarget.value)}
            error={mismatch ? "The passwords do not match" : undefined}
          />
          {reset.error && !fields.password && (
            <Alert color="red" variant="light" role="alert">
              {errorMessage(reset.error)}
            </Alert>
          )}
          <Button type="submit" loading={reset.isPending} fullWidth>
            Set the new password
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
