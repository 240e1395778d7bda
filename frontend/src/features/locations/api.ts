import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { isPending, RECALCULATION_POLL_MS } from "@/features/locations/recalculation";
import { reportKeys } from "@/features/reports/api";
import { api, unwrap } from "@/lib/api";

export type FootfallCoverage = components["schemas"]["FootfallCoverage"];
export type Location = components["schemas"]["LocationRead"];
export type LocationUpdate = components["schemas"]["LocationUpdate"];

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
    // A store's figures being recalculated: its progress is asked for again until it is done.
    refetchInterval: (query) =>
      query.state.data?.items.some((loc) => isPending(loc.recalculation)) ? RECALCULATION_POLL_MS : false,
  });
}

/** Changes a store's own settings (business-day start, opening date). A new business-day start
 * re-dates the store's sales in the background: the stores and every report are asked again. */
export function useUpdateLocation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, body }: { id: number; body: LocationUpdate }) =>
      unwrap(await api.PATCH("/locations/{location_id}", { params: { path: { location_id: id } }, body })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: locationKeys.all });
      void queryClient.invalidateQueries({ queryKey: reportKeys.all });
    },
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
