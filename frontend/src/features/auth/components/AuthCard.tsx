import { Alert, Anchor, Box, Center, Paper, Stack, Text, TextInput, Title } from "@mantine/core";
import type { ReactNode } from "react";

import { ApiError, errorMessage } from "@/lib/api";

/** The centred card the public pages (sign in, register, accept invite) share. */
export function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <Center mih="100vh" p="md" bg="gray.0" component="main" id="main">
      <Box w="100%" maw={420}>
        <Stack gap="lg">
          <Text fw={700} size="xl" ta="center" c="indigo.8">
            Teliporter
          </Text>
          <Paper withBorder shadow="sm" p="xl" radius="md">
            <Stack gap="md">
              <Title order={1} size="h3">
                {title}
              </Title>
              {children}
            </Stack>
          </Paper>
          {footer && (
            <Text size="sm" ta="center">
              {footer}
            </Text>
          )}
        </Stack>
      </Box>
    </Center>
  );
}

export { Anchor };

/** The sign-in address field of the public forms. */
export function EmailInput({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (value: string) => void;
  error?: string;
}) {
  return (
    <TextInput
      label="Email"
      type="email"
      autoComplete="username"
      required
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      error={error}
    />
  );
}

/** A failed request's message, unless it is already shown beside a field of the form (`shown`)
 * that it names. */
export function FormError({ error, shown }: { error: Error | null; shown: string[] }) {
  const named = error instanceof ApiError ? Object.keys(error.fields) : [];
  if (!error || named.some((field) => shown.includes(field))) return null;
  return (
    <Alert color="red" variant="light" role="alert">
      {errorMessage(error)}
    </Alert>
  );
}
