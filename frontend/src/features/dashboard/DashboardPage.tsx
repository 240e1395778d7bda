import { Alert, Stack } from "@mantine/core";

import { PageHeader } from "@/components/ui/PageHeader";
import { FilterBar } from "@/features/filters/components/FilterBar";
import { StoresGate } from "@/features/locations/components/StoresGate";

export default function DashboardPage() {
  return (
    <Stack gap="md">
      <PageHeader title="Dashboard" description="How your stores are trading" />
      <FilterBar />
      <StoresGate>
        {(stores) => (
          // The KPI cards, trend, league table and heatmap arrive with the reports API; until
          // then we say so rather than show numbers we do not have.
          <Alert variant="light" color="indigo" title="Sales figures are on their way" role="status">
            {stores.length === 1 ? "Your store is" : `Your ${stores.length} stores are`} connected.
            Net sales, transactions and the other figures appear here once the first sync has
            finished.
          </Alert>
        )}
      </StoresGate>
    </Stack>
  );
}
