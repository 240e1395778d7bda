import { Alert, Button, Stack, Text } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";

import { useForgotPassword } from "@/features/auth/api";
import { Anchor, AuthCard, EmailInput, FormError } from "@/features/auth/components/AuthCard";
import { ApiError } from "@/lib/api";

export default function ForgotPasswordPage() {
  const forgot = useForgotPassword();
  const [email, setEmail] = useState("");

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    forgot.mutate(email);
  };
  const fields = forgot.error instanceof ApiError ? forgot.error.fields : {};

  return (
    <AuthCard
      title="Reset your password"
      footer={
        <Anchor component={Link} to="/sign-in">
          Back to sign in
        </Anchor>
      }
    >
      {forgot.isSuccess ? (
        <Alert color="green" variant="light" role="status" data-testid="forgot-sent">
          If there is an account for {email}, we have e-mailed it a link to choose a new password.
          The link works once, within the next hour.
        </Alert>
      ) : (
        <>
          <Text c="gray.7" size="sm">
            Enter the e-mail address you sign in with, and we will send you a link to choose a new
            password.
          </Text>
          <form onSubmit={onSubmit} noValidate>
            <Stack gap="md">
              <EmailInput value={email} onChange={setEmail} error={fields.email} />
              <FormError error={forgot.error} shown={["email"]} />
              <Button type="submit" loading={forgot.isPending} fullWidth>
                Send the link
              </Button>
            </Stack>
          </form>
        </>
      )}
    </AuthCard>
  );
}
