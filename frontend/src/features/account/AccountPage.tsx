import { Alert, Button, Group, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { type FormEvent, useEffect, useState } from "react";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { PageHeader } from "@/components/ui/PageHeader";
import { useRequestEmailChange, useUpdateMe } from "@/features/account/api";
import { useMe } from "@/features/auth/api";
import { NewPasswordFields, useNewPassword } from "@/features/auth/components/NewPasswordFields";
import { ApiError, errorMessage } from "@/lib/api";

function NameSection({ fullName }: { fullName: string }) {
  const update = useUpdateMe();
  const [name, setName] = useState(fullName);
  useEffect(() => setName(fullName), [fullName]);
  const fields = update.error instanceof ApiError ? update.error.fields : {};
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate({ full_name: name });
  };
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="name-heading">
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="md" maw={480}>
          <Title order={2} size="h4" id="name-heading">
            Your name
          </Title>
          <TextInput
            label="Full name"
            description="Shown to your colleagues in Settings and in the account menu"
            value={name}
            onChange={(e) => {
              setName(e.currentTarget.value);
              update.reset();
            }}
            required
            autoComplete="name"
            error={fields.full_name ?? (name.trim() === "" ? "Enter your name" : undefined)}
          />
          {update.error && !fields.full_name && (
            <Alert color="red" variant="light" role="alert">
              {errorMessage(update.error)}
            </Alert>
          )}
          {update.isSuccess && (
            <Text size="sm" c="gray.9" fw={500} role="status">
              Name saved.
            </Text>
          )}
          <Group>
            <Button type="submit" loading={update.isPending} disabled={name.trim() === "" || name.trim() === fullName}>
              Save name
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

function PasswordSection() {
  const update = useUpdateMe();
  const [current, setCurrent] = useState("");
  const chosen = useNewPassword();
  const fields = update.error instanceof ApiError ? update.error.fields : {};
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!chosen.check()) return;
    update.mutate(
      { current_password: current, new_password: chosen.password },
      {
        onSuccess: () => {
          setCurrent("");
          chosen.clear();
        },
      },
    );
  };
  const edited = () => {
    if (update.error || update.isSuccess) update.reset();
  };
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="password-heading">
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="md" maw={480}>
          <Title order={2} size="h4" id="password-heading">
            Password
          </Title>
          <Text size="sm" c="gray.8">
            Changing your password signs you out everywhere else; you stay signed in here.
          </Text>
          <PasswordInput
            label="Current password"
            value={current}
            onChange={(e) => {
              setCurrent(e.currentTarget.value);
              edited();
            }}
            required
            autoComplete="current-password"
            error={fields.current_password}
            aria-invalid={Boolean(fields.current_password)}
          />
          <NewPasswordFields
            state={chosen}
            label="New password"
            confirmLabel="Repeat the new password"
            error={fields.new_password}
            onEdit={edited}
          />
          {update.error && !fields.current_password && !fields.new_password && (
            <Alert color="red" variant="light" role="alert">
              {errorMessage(update.error)}
            </Alert>
          )}
          {update.isSuccess && (
            <Text size="sm" c="gray.9" fw={500} role="status">
              Password changed. Other devices will need to sign in again.
            </Text>
          )}
          <Group>
            <Button type="submit" loading={update.isPending} disabled={!current || !chosen.password || !chosen.confirm}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

function EmailSection({ email }: { email: string }) {
  const change = useRequestEmailChange();
  const [next, setNext] = useState("");
  const [password, setPassword] = useState("");
  const fields = change.error instanceof ApiError ? change.error.fields : {};
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    change.mutate({ new_email: next, current_password: password }, { onSuccess: () => setPassword("") });
  };
  const edited = () => {
    if (change.error || change.isSuccess) change.reset();
  };
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="email-heading">
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="md" maw={480}>
          <Title order={2} size="h4" id="email-heading">
            Sign-in e-mail
          </Title>
          <Text size="sm" c="gray.8">
            You sign in with {email}. To use another address, we send a link to it: the address changes when you open the link.
          </Text>
          <TextInput
            label="New e-mail address"
            type="email"
            autoComplete="email"
            value={next}
            onChange={(e) => {
              setNext(e.currentTarget.value);
              edited();
            }}
            required
            error={fields.new_email}
          />
          <PasswordInput
            label="Current password"
            value={password}
            onChange={(e) => {
              setPassword(e.currentTarget.value);
              edited();
            }}
            required
            autoComplete="current-password"
            error={fields.current_password}
            aria-invalid={Boolean(fields.current_password)}
          />
          {change.error && !fields.new_email && !fields.current_password && (
            <Alert color="red" variant="light" role="alert">
              {errorMessage(change.error)}
            </Alert>
          )}
          {change.isSuccess && (
            <Text size="sm" c="gray.9" fw={500} role="status" data-testid="email-change-sent">
              We have sent a link to {change.data.pending_email}. Open it within {change.data.expires_in_hours} hours to sign in
              with that address; until then nothing changes.
            </Text>
          )}
          <Group>
            <Button type="submit" loading={change.isPending} disabled={!next || !password}>
              Send the confirmation link
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

/** The signed-in user's own account: name, email and password. */
export default function AccountPage() {
  const me = useMe();
  if (me.isPending) return <Loading label="Loading your account" />;
  if (me.isError) return <ErrorState message={errorMessage(me.error)} onRetry={() => void me.refetch()} />;
  return (
    <Stack gap="lg">
      <PageHeader title="Your account" description={`Signed in as ${me.data.email} at ${me.data.organization.name}.`} />
      <NameSection fullName={me.data.full_name} />
      <EmailSection email={me.data.email} />
      <PasswordSection />
    </Stack>
  );
}
