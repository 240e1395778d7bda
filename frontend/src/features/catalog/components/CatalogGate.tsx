import { type ReactNode, useEffect } from "react";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { useCatalog } from "@/features/catalog/api";
import { setCatalog, useRegisteredCatalog } from "@/features/catalog/registry";
import { errorMessage } from "@/lib/api";

/**
 * Renders the signed-in pages once the report catalog is registered (their labels, formats and
 * tabs come from it), with a loader until then and a way to try again if it could not load.
 */
export function CatalogGate({ children }: { children: ReactNode }) {
  const query = useCatalog();
  const registered = useRegisteredCatalog();
  useEffect(() => {
    if (query.data) setCatalog(query.data);
  }, [query.data]);
  if (registered) return <>{children}</>;
  if (query.isError) {
    return <ErrorState message={errorMessage(query.error)} onRetry={() => void query.refetch()} />;
  }
  return <Loading label="Loading the reports' catalog" />;
}
