// GET /reports/catalog through the typed client: the same for every signed-in user and fixed for
// a release, so it is fetched once and never considered stale.
import { queryOptions, useQuery } from "@tanstack/react-query";

import { useSession } from "@/features/auth/session";
import type { Catalog } from "@/features/catalog/registry";
import { api, unwrap } from "@/lib/api";

export const catalogKeys = {
  all: ["catalog"] as const,
};

export async function fetchCatalog(): Promise<Catalog> {
  return unwrap(await api.GET("/reports/catalog"));
}

export const catalogQuery = () =>
  queryOptions({ queryKey: catalogKeys.all, queryFn: fetchCatalog, staleTime: Infinity, gcTime: Infinity });

export function useCatalog() {
  const { status } = useSession();
  return useQuery({ ...catalogQuery(), enabled: status === "authenticated" });
}
