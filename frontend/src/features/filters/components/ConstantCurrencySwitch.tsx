import { Switch } from "@mantine/core";

import { useMe } from "@/features/auth/api";
import { useFilters } from "@/features/filters/useFilters";
import { useLocations } from "@/features/locations/api";

/** Whether the selected stores' sales are converted at all: a store trades in a currency other
 * than the one the figures are in. Only then can exchange rates move a comparison. */
export function useConverts(): boolean {
  const { filters } = useFilters();
  const locations = useLocations();
  const me = useMe();
  const target = filters.currency ?? me.data?.organization.reporting_currency;
  const stores = locations.data?.items ?? [];
  const chosen = filters.stores.length ? stores.filter((s) => filters.stores.includes(s.id)) : stores;
  return target !== undefined && chosen.some((s) => s.currency !== target);
}

/** "Constant currency": the comparison converted at this period's exchange rates, so a change is
 * sales growth rather than currency moves (the report API's constant_currency). Shown only when
 * there is a comparison and something to convert; kept in the URL like every filter. */
export function ConstantCurrencySwitch() {
  const { filters, setFilters } = useFilters();
  const converts = useConverts();
  if (!converts || filters.compare === "none") return null;
  return (
    <Switch
      label="Constant currency"
      description="Compare at this period's exchange rates"
      checked={filters.constantCurrency}
      onChange={(event) => setFilters({ constantCurrency: event.currentTarget.checked })}
      data-testid="filter-constant-currency"
      styles={{ body: { alignItems: "center" } }}
      mb={4}
    />
  );
}
