import type { ReactNode } from "react";

import type { components } from "@/client/schema";
import { ConnectSquareEmpty } from "@/components/ui/ConnectSquareEmpty";
import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { useLocations } from "@/features/locations/api";
import { errorMessage } from "@/lib/api";

type Location = components["schemas"]["LocationRead"];

/** Renders `children` with the user's stores, or the loading, error or "connect Square" state. */
export function StoresGate({
  what,
  children,
}: {
  what?: string;
  children: (stores: Location[]) => ReactNode;
}) {
  const locations = useLocations();
  if (locations.isPending) return <Loading label="Loading stores" />;
  if (locations.isError) {
    return (
      <ErrorState
        title="Could not load your stores"
        message={errorMessage(locations.error)}
        onRetry={() => void locations.refetch()}
      />
    );
  }
  if (locations.data.items.length === 0) return <ConnectSquareEmpty what={what} />;
  return <>{children(locations.data.items)}</>;
}
