import { Badge, Group, Pagination, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { useState } from "react";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { type MailRecord, useMailLog } from "@/features/mail/api";
import { errorMessage } from "@/lib/api";
import { formatDateTime } from "@/lib/format";

const PAGE = 50;

/** What each kind of message is, in words. */
const KINDS: Record<string, string> = {
  invitation: "Invitation",
  password_reset: "Password reset link",
  password_changed: "Password reset notice",
  email_change: "New address confirmation",
  email_change_notice: "Address change notice",
  digest: "Digest",
  alert: "Alert",
};

function State({ mail }: { mail: MailRecord }) {
  if (mail.state === "sent") {
    return (
      <Badge color="teal" variant="light">
        Sent
      </Badge>
    );
  }
  if (mail.state === "failed") {
    return (
      <Badge color="red" variant="light">
        Failed
      </Badge>
    );
  }
  return (
    <Stack gap={2}>
      <Badge color="yellow" variant="light">
        {mail.attempts > 0 ? "Retrying" : "Queued"}
      </Badge>
      {mail.next_attempt_at && (
        <Text size="xs" c="gray.8">
          next try {formatDateTime(mail.next_attempt_at)}
        </Text>
      )}
    </Stack>
  );
}

/** Settings → Mail log: every e-mail the organization's people were sent, and its delivery. */
export function MailLogSection() {
  const [page, setPage] = useState(1);
  const log = useMailLog((page - 1) * PAGE, PAGE);
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="mail-log-heading">
      <Stack gap="md">
        <Title order={2} size="h4" id="mail-log-heading">
          Mail log
        </Title>
        <Text size="sm" c="gray.8">
          Every e-mail Teliporter sent your people — invitations, password links, digests, alerts — and whether the mail
          server took it. A message the server could not take is tried again, less and less often, for some hours; then
          it is marked failed. Contents are not kept.
        </Text>
        {log.isPending ? (
          <Loading label="Loading the mail log" />
        ) : log.isError ? (
          <ErrorState message={errorMessage(log.error)} onRetry={() => void log.refetch()} />
        ) : log.data.items.length === 0 ? (
          <Text c="gray.8">No e-mail has been sent yet.</Text>
        ) : (
          <>
            {/* Scrolls sideways on a phone; focusable so the keyboard can scroll it too. */}
            <div role="region" aria-label="Mail log table" tabIndex={0} style={{ overflowX: "auto" }}>
              <Table data-testid="mail-log" verticalSpacing="xs" miw={720}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Queued</Table.Th>
                    <Table.Th>To</Table.Th>
                    <Table.Th>What</Table.Th>
                    <Table.Th>Delivery</Table.Th>
                    <Table.Th>Tries</Table.Th>
                    <Table.Th>Last problem</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {log.data.items.map((mail) => (
                    <Table.Tr key={mail.id}>
                      <Table.Td>{formatDateTime(mail.created_at)}</Table.Td>
                      <Table.Td style={{ wordBreak: "break-all" }}>{mail.to_address}</Table.Td>
                      <Table.Td>
                        <Text size="sm">{mail.subject}</Text>
                        <Text size="xs" c="gray.8">
                          {KINDS[mail.kind] ?? mail.kind}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <State mail={mail} />
                      </Table.Td>
                      <Table.Td>{mail.attempts}</Table.Td>
                      <Table.Td>
                        <Text size="xs">{mail.last_error ?? "—"}</Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </div>
            {log.data.total > PAGE && (
              <Group justify="flex-end">
                <Pagination total={Math.ceil(log.data.total / PAGE)} value={page} onChange={setPage} aria-label="Mail log pages" />
              </Group>
            )}
          </>
        )}
      </Stack>
    </Paper>
  );
}
