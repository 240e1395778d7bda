import { Switch } from "@mantine/core";

import { useFilters } from "@/features/filters/useFilters";

/** "Include estimated footfall": traded days without a footfall entry (and, on the traffic page,
 * hours missing from a day counted by the hour) count at the mean of the same weekday (hour) of
 * the previous weeks (the report API's footfall_estimates=include). Off by
 * default (only days with an entry count, as the metric definitions say); kept in the URL. */
export function EstimatesSwitch() {
  const { filters, setFilters } = useFilters();
  return (
    <Switch
      label="Include estimated footfall"
      description="Days (and hours) without a count, from the same weekday of previous weeks"
      checked={filters.estimates}
      onChange={(event) => setFilters({ estimates: event.currentTarget.checked })}
      data-testid="filter-estimates"
      maw={280}
      styles={{ body: { alignItems: "center" } }}
      mb={4}
    />
  );
}
