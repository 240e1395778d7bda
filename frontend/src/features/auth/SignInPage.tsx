import { Alert, Button, PasswordInput, Stack } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { Link, Navigate, useSearchParams } from "react-router";

import { useSignIn } from "@/features/auth/api";
import { Anchor, AuthCard, EmailInput, FormError } from "@/features/auth/components/AuthCard";
import { safeNext, useSession } from "@/features/auth/session";
import { ApiError } from "@/lib/api";

export default function SignInPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const { status } = useSession();
  const signIn = useSignIn();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");

  if (status === "authenticated") return <Navigate to={next} replace />;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ email, password });
  };
  const fields = signIn.error instanceof ApiError ? signIn.error.fields : {};

  return (
    <AuthCard
      title="Sign in"
      footer={
        <>
          New to Teliporter?{" "}
          <Anchor component={Link} to="/register">
            Create an account
          </Anchor>
        </>
      }
    >
      {params.get("reset") && !signIn.error && (
        <Alert color="green" variant="light" role="status">
          Your password has been changed and every session signed out. Sign in with the new
          password.
        </Alert>
      )}
      {params.get("expired") && !signIn.error && (
        <Alert color="yellow" variant="light" role="status">
          Your session has ended. Sign in again to carry on where you were.
        </Alert>
      )}
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          <EmailInput value={email} onChange={setEmail} error={fields.email} />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={fields.password}
          />
          <FormError error={signIn.error} shown={["email", "password"]} />
          <Button type="submit" loading={signIn.isPending} fullWidth>
            Sign in
          </Button>
          <Anchor component={Link} to="/forgot-password" size="sm" ta="center">
            Forgot password?
          </Anchor>
        </Stack>
      </form>
    </AuthCard>
  );
}
