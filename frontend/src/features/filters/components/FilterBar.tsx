import { Group, MultiSelect, Paper, Select, Stack, Switch, Text, TextInput } from "@mantine/core";
import { memo, useMemo } from "react";

import { useMe } from "@/features/auth/api";
import { ConstantCurrencySwitch } from "@/features/filters/components/ConstantCurrencySwitch";
import { EstimatesSwitch } from "@/features/filters/components/EstimatesSwitch";
import {
  type Compare,
  COMPARE_LABELS,
  COMPARES,
  isIsoDate,
  type Preset,
  PRESET_LABELS,
  PRESETS,
} from "@/features/filters/dateRange";
import { useFilters } from "@/features/filters/useFilters";
import { useLocationGroups, useLocations } from "@/features/locations/api";
import { currencyCodes, formatDateRange } from "@/lib/format";

export const LFL_HELP = "Only stores that traded on both the day and its comparison day";

/** The filters every report page shares: dates, stores, store groups, comparison (like-for-like
 * or not) and currency, in the URL. Memoised: it takes no props and reads its own queries, so a
 * page re-rendering as each of its figures arrives does not re-render its seven inputs too. */
export const FilterBar = memo(function FilterBar() {
  const { filters, range, comparison, setFilters } = useFilters();
  const locations = useLocations();
  const groups = useLocationGroups();
  const groupOptions = (groups.data ?? []).map((g) => ({ value: String(g.id), label: g.name }));
  const me = useMe();
  const orgCurrency = me.data?.organization.reporting_currency ?? "GBP";
  const currencies = useMemo(() => currencyCodes(), []);

  const stores = locations.data?.items ?? [];
  const storeOptions = stores.map((l) => ({ value: String(l.id), label: l.name }));
  const noStores = locations.isSuccess && stores.length === 0;

  const onPreset = (value: string | null) => {
    if (!value) return;
    const preset = value as Preset;
    // A custom range starts from the dates on screen, so it is a small step to adjust.
    setFilters(preset === "custom" ? { preset, custom: range } : { preset, custom: null });
  };
  const onDate = (key: "from" | "to") => (value: string) => {
    if (!isIsoDate(value)) return;
    const next = { ...range, [key]: value };
    if (next.from > next.to) {
      if (key === "from") next.to = value;
      else next.from = value;
    }
    setFilters({ preset: "custom", custom: next });
  };

  return (
    <Paper withBorder p="sm" radius="md" component="section" aria-label="Filters">
      <Stack gap="xs">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <Select
            label="Date range"
            data={PRESETS.map((p) => ({ value: p, label: PRESET_LABELS[p] }))}
            value={filters.preset}
            onChange={onPreset}
            allowDeselect={false}
            w={210}
            data-testid="filter-range"
          />
          {filters.preset === "custom" && (
            <>
              <TextInput
                label="From"
                type="date"
                value={range.from}
                onChange={(e) => onDate("from")(e.currentTarget.value)}
                w={160}
              />
              <TextInput
                label="To"
                type="date"
                value={range.to}
                onChange={(e) => onDate("to")(e.currentTarget.value)}
                w={160}
              />
            </>
          )}
          <MultiSelect
            label="Stores"
            data={storeOptions}
            value={filters.stores.map(String)}
            onChange={(values) => setFilters({ stores: values.map(Number) })}
            placeholder={filters.stores.length ? undefined : noStores ? "No stores yet" : "All stores"}
            disabled={noStores || locations.isError}
            error={locations.isError ? "Could not load the stores" : undefined}
            searchable
            clearable
            miw={200}
            maw={420}
          />
          {(groupOptions.length > 0 || filters.groups.length > 0) && (
            <MultiSelect
              label="Group"
              data={groupOptions}
              value={filters.groups.map(String)}
              onChange={(values) => setFilters({ groups: values.map(Number) })}
              placeholder={filters.groups.length ? undefined : "All groups"}
              searchable
              clearable
              miw={160}
              maw={320}
              data-testid="filter-groups"
            />
          )}
          <Select
            label="Compare with"
            data={COMPARES.map((c) => ({ value: c, label: COMPARE_LABELS[c] }))}
            value={filters.compare}
            onChange={(value) => value && setFilters({ compare: value as Compare })}
            allowDeselect={false}
            w={210}
          />
          <Select
            label="Currency"
            data={currencies}
            value={filters.currency ?? orgCurrency}
            onChange={(value) =>
              setFilters({ currency: value && value !== orgCurrency ? value : null })
            }
            searchable
            // Type to find any other code: rendering every ISO currency as an option on each
            // filter change costs the first paint more than it helps.
            limit={40}
            allowDeselect={false}
            w={110}
          />
          <Switch
            label="Like-for-like"
            description={
              filters.compare === "none" ? "Choose a comparison to compare like-for-like" : LFL_HELP
            }
            checked={filters.lfl && filters.compare !== "none"}
            disabled={filters.compare === "none"}
            onChange={(e) => setFilters({ lfl: e.currentTarget.checked })}
            maw={260}
            data-testid="filter-lfl"
          />
          <ConstantCurrencySwitch />
          <EstimatesSwitch />
        </Group>
        <Text size="sm" c="gray.7" data-testid="filter-summary">
          {formatDateRange(range.from, range.to)}
          {comparison
            ? ` · compared with ${formatDateRange(comparison.from, comparison.to)}`
            : " · no comparison"}
          {filters.lfl && comparison ? " · like-for-like stores only" : ""}
          {filters.estimates ? " · estimated footfall included" : ""}
        </Text>
      </Stack>
    </Paper>
  );
});
