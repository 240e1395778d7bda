import { useQuery } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { api, unwrap } from "@/lib/api";

export type FootfallCoverage = components["schemas"]["FootfallCoverage"];

export const locationKeys = {
  all: ["locations"] as const,
  list: () => [...locationKeys.all, "list"] as const,
  coverage: (dateFrom: string, dateTo: string) => [...locationKeys.all, "coverage", dateFrom, dateTo] as const,
};

/** The stores the signed-in user may see. */
export function useLocations() {
  return useQuery({
    queryKey: locationKeys.list(),
    queryFn: async () => unwrap(await api.GET("/locations")),
  });
}

/** The stores with their footfall coverage over a period: one request for every store's gaps. */
export function useFootfallCoverage(dateFrom: string, dateTo: string) {
  return useQuery({
    queryKey: locationKeys.coverage(dateFrom, dateTo),
    queryFn: async () =>
      unwrap(await api.GET("/locations", { params: { query: { date_from: dateFrom, date_to: dateTo } } })),
  });
}
