import { Alert, Anchor, Code, Group, Paper, Stack, Table, Text, Title, UnstyledButton } from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { useMe } from "@/features/auth/api";
import { useLocalMail, useLocalMailbox } from "@/features/mail/api";
import { errorMessage } from "@/lib/api";

const LINK = /https?:\/\/[^\s<>"]+/g;

/** A link of this app opens inside it; any other stays as it is. */
function inApp(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.origin === window.location.origin ? parsed.pathname + parsed.search : null;
  } catch {
    return null;
  }
}

function Message({ id }: { id: string }) {
  const mail = useLocalMail(id);
  if (mail.isPending) return <Loading />;
  if (mail.isError) return <ErrorState message={errorMessage(mail.error)} onRetry={() => void mail.refetch()} />;
  const { data } = mail;
  const links = [...new Set(data.text?.match(LINK) ?? [])];
  return (
    <Paper withBorder p="md" radius="md" data-testid="mailbox-message">
      <Stack gap="sm">
        <Title order={2} size="h4">
          {data.subject}
        </Title>
        <Text size="sm">
          To {data.to}, from {data.sender}, received {new Date(data.received_at).toLocaleString()}
        </Text>
        {links.length > 0 && (
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              Links in this message
            </Text>
            {links.map((url) => {
              const path = inApp(url);
              return path ? (
                <Anchor key={url} component={Link} to={path} size="sm" data-testid="mailbox-link" style={{ wordBreak: "break-all" }}>
                  {url}
                </Anchor>
              ) : (
                <Anchor key={url} href={url} size="sm" data-testid="mailbox-link" style={{ wordBreak: "break-all" }}>
                  {url}
                </Anchor>
              );
            })}
          </Stack>
        )}
        {data.html && (
          <iframe
            title={`HTML part of “${data.subject}”`}
            srcDoc={data.html}
            sandbox=""
            style={{ width: "100%", height: 420, border: "1px solid var(--mantine-color-gray-4)" }}
          />
        )}
        {data.text && (
          <>
            <Text size="sm" fw={600}>
              Plain-text part
            </Text>
            <Code block style={{ whiteSpace: "pre-wrap", wordBreak: "break-word", overflowWrap: "anywhere" }}>
              {data.text}
            </Code>
          </>
        )}
      </Stack>
    </Paper>
  );
}

/** Development only: the mail `make run`'s local SMTP listener received (every organization's). */
export default function MailboxPage() {
  const me = useMe();
  const box = useLocalMailbox({ poll: true });
  const [open, setOpen] = useState<string | null>(null);

  if (me.data && me.data.role !== "owner") {
    return <Alert color="yellow">The development mailbox is for the organization's owner.</Alert>;
  }
  if (box.isPending) return <Loading />;
  if (box.isError) return <ErrorState message={errorMessage(box.error)} onRetry={() => void box.refetch()} />;

  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        Development mailbox
      </Title>
      {!box.data.enabled ? (
        <Alert color="gray">
          The development mailbox is off: mail goes to the configured SMTP server. It is on under{" "}
          <Code>make run</Code>, which starts a local SMTP listener.
        </Alert>
      ) : (
        <>
          <Text size="sm">
            Mail the app sent on this machine, caught by the local SMTP listener (nothing leaves it).
          </Text>
          {box.data.items.length === 0 ? (
            <Text c="gray.7">No mail yet.</Text>
          ) : (
            <Table.ScrollContainer minWidth={480}>
              <Table highlightOnHover data-testid="mailbox">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Received</Table.Th>
                    <Table.Th>To</Table.Th>
                    <Table.Th>Subject</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {box.data.items.map((item) => (
                    <Table.Tr key={item.id} aria-selected={open === item.id}>
                      <Table.Td>{new Date(item.received_at).toLocaleString()}</Table.Td>
                      <Table.Td>{item.to}</Table.Td>
                      <Table.Td>
                        <UnstyledButton onClick={() => setOpen(item.id)} c="indigo.8" td="underline">
                          <Group gap={4}>{item.subject}</Group>
                        </UnstyledButton>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          {open && <Message id={open} />}
        </>
      )}
    </Stack>
  );
}
