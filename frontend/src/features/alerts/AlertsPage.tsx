import { Anchor, Badge, Group, Pagination, SegmentedControl, Stack, Table, Text } from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router";

import { EmptyState } from "@/components/ui/EmptyState";
import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { PageHeader } from "@/components/ui/PageHeader";
import { type AlertState, kindLabel, PAGE_SIZE, useAlerts } from "@/features/alerts/api";
import { useMe } from "@/features/auth/api";
import { errorMessage } from "@/lib/api";

/** The alerts found: store, what happened, when, and whether it is still open. */
export default function AlertsPage() {
  const me = useMe();
  const [state, setState] = useState<AlertState>("all");
  const [page, setPage] = useState(1);
  const alerts = useAlerts(state, page);
  const canEdit = me.data?.role === "owner" || me.data?.role === "admin";

  return (
    <Stack gap="lg">
      <PageHeader
        title="Alerts"
        description="Unusual days, missing footfall, a broken Square connection, stale rates: each found once and mailed once"
        actions={
          <Anchor component={Link} to="/alerts/rules">
            {canEdit ? "Alert rules" : "See the alert rules"}
          </Anchor>
        }
      />
      <SegmentedControl
        aria-label="Show"
        value={state}
        onChange={(value) => {
          setState(value as AlertState);
          setPage(1);
        }}
        data={[
          { value: "all", label: "All" },
          { value: "open", label: "Open" },
          { value: "closed", label: "Closed" },
        ]}
        w="fit-content"
      />
      {alerts.isPending ? (
        <Loading label="Loading alerts" />
      ) : alerts.isError ? (
        <ErrorState message={errorMessage(alerts.error)} onRetry={() => void alerts.refetch()} />
      ) : alerts.data.items.length === 0 ? (
        <EmptyState title="No alerts">Nothing unusual has been found{state === "all" ? "" : ` (${state})`}.</EmptyState>
      ) : (
        <>
          <Table.ScrollContainer minWidth={640}>
            <Table highlightOnHover data-testid="alerts">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Found</Table.Th>
                  <Table.Th>Store</Table.Th>
                  <Table.Th>Alert</Table.Th>
                  <Table.Th>What happened</Table.Th>
                  <Table.Th>State</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {alerts.data.items.map((item) => (
                  <Table.Tr key={item.id}>
                    <Table.Td>{new Date(item.found_at).toLocaleString()}</Table.Td>
                    <Table.Td>{item.location_name ?? "—"}</Table.Td>
                    <Table.Td>{kindLabel(item.kind)}</Table.Td>
                    <Table.Td>
                      <Anchor component={Link} to={item.link_path}>
                        {item.summary}
                      </Anchor>
                      {item.mailed_at == null && (
                        <Text size="xs" c="gray.7">
                          Mail held for quiet hours until {new Date(item.mail_due_at).toLocaleString()}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Badge color={item.open ? "red" : "gray"} variant="light">
                        {item.open ? "Open" : "Closed"}
                      </Badge>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {alerts.data.total > PAGE_SIZE && (
            <Group justify="center">
              <Pagination
                total={Math.ceil(alerts.data.total / PAGE_SIZE)}
                value={page}
                onChange={setPage}
                getControlProps={(control) => ({ "aria-label": `${control} page` })}
              />
            </Group>
          )}
        </>
      )}
    </Stack>
  );
}
