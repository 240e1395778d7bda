import { Button, PasswordInput, Stack, TextInput } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { Link, Navigate } from "react-router";

import { useRegister } from "@/features/auth/api";
import { Anchor, AuthCard, FormError } from "@/features/auth/components/AuthCard";
import { PASSWORD_RULE } from "@/features/auth/components/NewPasswordFields";
import { useSession } from "@/features/auth/session";
import { ApiError } from "@/lib/api";

export default function RegisterPage() {
  const { status } = useSession();
  const register = useRegister();
  const [form, setForm] = useState({
    full_name: "",
    organization_name: "",
    email: "",
    password: "",
  });

  if (status === "authenticated") return <Navigate to="/" replace />;

  const set = (key: keyof typeof form) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value; // read now: the event is gone when the updater runs
    setForm((f) => ({ ...f, [key]: value }));
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    register.mutate(form);
  };
  const fields = register.error instanceof ApiError ? register.error.fields : {};

  return (
    <AuthCard
      title="Create your account"
      footer={
        <>
          Already have an account?{" "}
          <Anchor component={Link} to="/sign-in">
            Sign in
          </Anchor>
        </>
      }
    >
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          <TextInput
            label="Your name"
            autoComplete="name"
            required
            value={form.full_name}
            onChange={set("full_name")}
            error={fields.full_name}
          />
          <TextInput
            label="Business name"
            autoComplete="organization"
            required
            value={form.organization_name}
            onChange={set("organization_name")}
            error={fields.organization_name}
          />
          <TextInput
            label="Work email"
            type="email"
            autoComplete="email"
            required
            value={form.email}
            onChange={set("email")}
            error={fields.email}
          />
          <PasswordInput
            label="Password"
            description={PASSWORD_RULE}
            autoComplete="new-password"
            required
            value={form.password}
            onChange={set("password")}
            error={fields.password}
          />
          <FormError error={register.error} shown={["full_name", "organization_name", "email", "password"]} />
          <Button type="submit" loading={register.isPending} fullWidth>
            Create account
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
