import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api";

export const locationKeys = {
  all: ["locations"] as const,
  list: () => [...locationKeys.all, "list"] as const,
};

/** The stores the signed-in user may see. */
export function useLocations() {
  return useQuery({
    queryKey: locationKeys.list(),
    queryFn: async () => unwrap(await api.GET("/locations")),
  });
}
