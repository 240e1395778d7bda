import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { api, unwrap } from "@/lib/api";

export type AlertOccurrence = components["schemas"]["AlertOccurrenceRead"];
export type AlertRule = components["schemas"]["AlertRuleRead"];
export type AlertRuleIn = components["schemas"]["AlertRuleIn"];
export type AlertRules = components["schemas"]["AlertRulesRead"];
export type AlertRulesUpdate = components["schemas"]["AlertRulesUpdate"];
export type StoreOverridesUpdate = components["schemas"]["StoreOverridesUpdate"];
export type AlertKind = AlertRule["kind"];
export type AlertState = "open" | "closed" | "all";

export const PAGE_SIZE = 25;

export const alertKeys = {
  all: ["alerts"] as const,
  list: (state: AlertState, page: number) => [...alertKeys.all, "list", state, page] as const,
  rules: () => [...alertKeys.all, "rules"] as const,
};

/** What each kind of alert watches, in the words the pages use. */
export const KINDS: { kind: AlertKind; label: string; help: string; store: boolean }[] = [
  { kind: "sales_low", label: "Net sales below usual", help: "A day's net sales below the usual for its weekday", store: true },
  { kind: "sales_high", label: "Net sales above usual", help: "A day's net sales above the usual for its weekday", store: true },
  { kind: "transactions_low", label: "Transactions below usual", help: "A day's transactions below the usual for its weekday", store: true },
  { kind: "transactions_high", label: "Transactions above usual", help: "A day's transactions above the usual for its weekday", store: true },
  { kind: "conversion_low", label: "Conversion below a floor", help: "Yesterday's conversion, where footfall is entered", store: true },
  { kind: "footfall_missing", label: "Footfall missing", help: "No footfall entered for yesterday by a local hour", store: true },
  { kind: "square_connection", label: "Square connection", help: "Needs reconnecting, or failing to sync for over an hour", store: false },
  { kind: "rates_stale", label: "Exchange rates stale", help: "The newest rate is more than 3 days old", store: false },
];

export const kindLabel = (kind: AlertKind) => KINDS.find((k) => k.kind === kind)?.label ?? kind;

/** Alert occurrences, newest first (a manager's: their stores' only). */
export function useAlerts(state: AlertState, page: number) {
  return useQuery({
    queryKey: alertKeys.list(state, page),
    queryFn: async () =>
      unwrap(
        await api.GET("/alerts", {
          params: {
            query: {
              state: state === "all" ? undefined : state,
              limit: PAGE_SIZE,
              offset: (page - 1) * PAGE_SIZE,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useAlertRules() {
  return useQuery({
    queryKey: alertKeys.rules(),
    queryFn: async () => unwrap(await api.GET("/alerts/rules")),
  });
}

/** Saves the whole rule set (owner or admin). */
export function useSaveAlertRules() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: AlertRulesUpdate) => unwrap(await api.PUT("/alerts/rules", { body })),
    onSuccess: (rules) => queryClient.setQueryData(alertKeys.rules(), rules),
  });
}

/** Saves the overrides of the named stores (a manager: their own), leaving the rest as it is. */
export function useSaveStoreOverrides() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: StoreOverridesUpdate) =>
      unwrap(await api.PUT("/alerts/rules/overrides", { body })),
    onSuccess: (rules) => queryClient.setQueryData(alertKeys.rules(), rules),
  });
}

/** A rule as the PUT takes it: only the parameters of its kind. */
export function ruleIn(rule: AlertRule): AlertRuleIn {
  const out: AlertRuleIn = { kind: rule.kind, enabled: rule.enabled };
  if (rule.location_id != null) out.location_id = rule.location_id;
  for (const name of ["threshold_percent", "weeks", "by_hour", "floor_percent", "at_hour"] as const) {
    if (rule[name] != null) out[name] = rule[name];
  }
  return out;
}
