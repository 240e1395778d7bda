import { Alert, Button, Stack, Text } from "@mantine/core";
import type { FormEvent } from "react";
import { Link, Navigate, useSearchParams } from "react-router";

import { useResetPassword } from "@/features/auth/api";
import { Anchor, AuthCard, FormError } from "@/features/auth/components/AuthCard";
import { NewPasswordFields, useNewPassword } from "@/features/auth/components/NewPasswordFields";
import { ApiError } from "@/lib/api";

export default function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const reset = useResetPassword();
  const chosen = useNewPassword();

  if (reset.isSuccess) return <Navigate to="/sign-in?reset=1" replace />;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (chosen.check()) reset.mutate({ token, password: chosen.password });
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
          <NewPasswordFields
            state={chosen}
            label="New password"
            confirmLabel="Confirm new password"
            error={fields.password}
          />
          <FormError error={reset.error} shown={["password"]} />
          <Button type="submit" loading={reset.isPending} fullWidth>
            Set the new password
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
