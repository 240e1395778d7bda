import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { isPending, RECALCULATION_POLL_MS } from "@/features/locations/recalculation";
import { reportKeys } from "@/features/reports/api";
import { api, unwrap } from "@/lib/api";

export type FootfallCoverage = components["schemas"]["FootfallCoverage"];
export type Location = components["schemas"]["LocationRead"];
export type LocationUpdate = components["schemas"]["LocationUpdate"];
export type LocationGroup = components["schemas"]["LocationGroupRead"];
export type LocationGroupCreate = components["schemas"]["LocationGroupCreate"];
export type LocationGroupUpdate = components["schemas"]["LocationGroupUpdate"];

export const locationKeys = {
  all: ["locations"] as const,
  list: () => [...locationKeys.all, "list"] as const,
  groups: () => [...locationKeys.all, "groups"] as const,
  coverage: (dateFrom: string, dateTo: string) => [...locationKeys.all, "coverage", dateFrom, dateTo] as const,
};

export const locationsQuery = () =>
  queryOptions({ queryKey: locationKeys.list(), queryFn: async () => unwrap(await api.GET("/locations")) });

/** The stores the signed-in user may see. */
export function useLocations() {
  return useQuery({
    ...locationsQuery(),
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
export function footfallCoverageQuery(dateFrom: string, dateTo: string) {
  return queryOptions({
    queryKey: locationKeys.coverage(dateFrom, dateTo),
    queryFn: async () =>
      unwrap(await api.GET("/locations", { params: { query: { date_from: dateFrom, date_to: dateTo } } })),
  });
}

export function useFootfallCoverage(dateFrom: string, dateTo: string) {
  return useQuery(footfallCoverageQuery(dateFrom, dateTo));
}

/** The store groups (areas, regions) the user may see, each with its stores the user may see. */
export const locationGroupsQuery = () =>
  queryOptions({
    queryKey: locationKeys.groups(),
    queryFn: async () => unwrap(await api.GET("/location-groups")).groups,
  });

export function useLocationGroups() {
  return useQuery(locationGroupsQuery());
}

/** After a group changes, the stores (their group), the groups and every report are asked again. */
function useInvalidateGroups() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: locationKeys.all });
    void queryClient.invalidateQueries({ queryKey: reportKeys.all });
  };
}

export function useCreateLocationGroup() {
  const onSuccess = useInvalidateGroups();
  return useMutation({
    mutationFn: async (body: LocationGroupCreate) => unwrap(await api.POST("/location-groups", { body })),
    onSuccess,
  });
}

export function useUpdateLocationGroup() {
  const onSuccess = useInvalidateGroups();
  return useMutation({
    mutationFn: async ({ id, body }: { id: number; body: LocationGroupUpdate }) =>
      unwrap(await api.PATCH("/location-groups/{group_id}", { params: { path: { group_id: id } }, body })),
    onSuccess,
  });
}

/** Deletes a group; its stores are then in no group. */
export function useDeleteLocationGroup() {
  const onSuccess = useInvalidateGroups();
  return useMutation({
    mutationFn: async (id: number) =>
      unwrap(await api.DELETE("/location-groups/{group_id}", { params: { path: { group_id: id } } })),
    onSuccess,
  });
}
