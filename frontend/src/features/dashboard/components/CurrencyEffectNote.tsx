import { Anchor, Text } from "@mantine/core";

import { useFilters } from "@/features/filters/useFilters";
import type { Summary } from "@/features/reports/api";
import { formatChange, numberFormat, userLocale } from "@/lib/format";

/** A change in percentage points, signed, to one decimal ("+4.7 pts"). */
export function formatPoints(fraction: number, locale: string = userLocale()): string {
  const points = numberFormat(locale, {
    signDisplay: "exceptZero",
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(fraction * 100);
  return `${points} pts`;
}

/** What exchange rates did to net sales' change (the summary's currency_effect), under that
 * change: "Of +10.3%, +4.7 pts is from exchange rates — compare at constant currency", or, at
 * constant currency, what the change is at actual rates. Nothing when rates moved it by less
 * than 0.05 points or nothing is converted. */
export function CurrencyEffectNote({ summary }: { summary: Summary }) {
  const { setFilters } = useFilters();
  const effect = summary.currency_effect;
  const change = summary.change.net_sales;
  if (effect === null || effect === undefined || change === null || change === undefined) return null;
  if (Math.abs(effect) < 0.0005) return null;
  const constant = summary.comparison?.rates === "constant";
  return (
    <Text size="xs" c="gray.8" mt={4} data-testid="currency-effect">
      {constant ? (
        <>
          At constant currency. At actual exchange rates {formatChange(change + effect)} (
          {formatPoints(effect)} from exchange rates) —{" "}
          <Anchor component="button" type="button" size="xs" underline="always" onClick={() => setFilters({ constantCurrency: false })}>
            show actual rates
          </Anchor>
        </>
      ) : (
        <>
          Of {formatChange(change)}, {formatPoints(effect)} from exchange rates —{" "}
          <Anchor component="button" type="button" size="xs" underline="always" onClick={() => setFilters({ constantCurrency: true })}>
            switch to constant currency
          </Anchor>
        </>
      )}
    </Text>
  );
}
