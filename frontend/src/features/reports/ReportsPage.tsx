import { Alert, Stack } from "@mantine/core";

import { PageHeader } from "@/components/ui/PageHeader";
import { FilterBar } from "@/features/filters/components/FilterBar";
import { StoresGate } from "@/features/locations/components/StoresGate";

export default function ReportsPage() {
  return (
    <Stack gap="md">
      <PageHeader
        title="Reports"
        description="Sales by store, item, category, team member, payment method and hour"
      />
      <FilterBar />
      <StoresGate>
        {() => (
          <Alert variant="light" color="indigo" title="Reports are on their way" role="status">
            The sales summary and its breakdowns, with Excel and CSV export, appear here once your
            sales have been synced from Square.
          </Alert>
        )}
      </StoresGate>
    </Stack>
  );
}
