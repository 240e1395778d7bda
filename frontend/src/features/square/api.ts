import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { locationKeys } from "@/features/locations/api";
import { api, unwrap } from "@/lib/api";

export type Connection = components["schemas"]["ConnectionRead"];
export type SyncRun = components["schemas"]["SyncRunRead"];

/** A run in one of these states will not change any more. */
export const FINISHED_STATES: ReadonlySet<SyncRun["state"]> = new Set(["succeeded", "failed", "skipped"]);

export const squareKeys = {
  all: ["square"] as const,
  connections: () => [...squareKeys.all, "connections"] as const,
  run: (id: number) => [...squareKeys.all, "sync-runs", id] as const,
};

/**
 * The organization's Square connections. Until a connection's first sync (backfill) has finished
 * the list is polled, so its progress shows without a reload.
 */
export function useConnections(pollMs = 3000) {
  return useQuery({
    queryKey: squareKeys.connections(),
    queryFn: async () => unwrap(await api.GET("/square/connections")),
    refetchInterval: (query) => {
      const items = query.state.data?.items ?? [];
      const syncing = (c: Connection) =>
        c.status === "active" && (!c.backfill_complete || c.last_sync_at === null);
      return items.some(syncing) ? pollMs : false;
    },
  });
}

/** Asks the API for Square's authorize page and sends the browser there. */
export function useConnectSquare() {
  return useMutation({
    mutationFn: async () => unwrap(await api.GET("/square/connect")),
    onSuccess: ({ authorize_url }) => window.location.assign(authorize_url),
  });
}

export function useStartSync() {
  return useMutation({
    mutationFn: async (connectionId: number) =>
      unwrap(await api.POST("/square/sync", { body: { connection_id: connectionId } })),
  });
}

/** A sync run, polled every 2 s until it has finished. */
export function useSyncRun(id: number | null, pollMs = 2000) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: squareKeys.run(id ?? 0),
    enabled: id !== null,
    queryFn: async () => {
      const run = unwrap(
        await api.GET("/square/sync-runs/{run_id}", { params: { path: { run_id: id ?? 0 } } }),
      );
      if (FINISHED_STATES.has(run.state)) {
        // The connection's last sync and the stores it brought change when a run ends.
        void queryClient.invalidateQueries({ queryKey: squareKeys.connections() });
        void queryClient.invalidateQueries({ queryKey: locationKeys.all });
      }
      return run;
    },
    refetchInterval: (query) =>
      query.state.data && FINISHED_STATES.has(query.state.data.state) ? false : pollMs,
  });
}

export function useDisconnect() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, purge }: { id: number; purge: boolean }) =>
      unwrap(
        await api.DELETE("/square/connections/{connection_id}", {
          params: { path: { connection_id: id }, query: { purge } },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: squareKeys.connections() });
      void queryClient.invalidateQueries({ queryKey: locationKeys.all });
    },
  });
}

export type Outcome = "connected" | "denied" | "invalid_state" | "wrong_browser" | "exchange_failed";

const OUTCOMES: Record<Outcome, { title: string; ok: boolean; fallback: string }> = {
  connected: { title: "Square account connected", ok: true, fallback: "Your first sync has started." },
  denied: { title: "Square connection cancelled", ok: false, fallback: "Access was not allowed on Square's page." },
  invalid_state: {
    title: "Square connection expired",
    ok: false,
    fallback: "The connection link was stale or already used. Please try connecting again.",
  },
  wrong_browser: {
    title: "Square connection not made",
    ok: false,
    fallback: "It was started in another browser or session. Connect Square from this browser.",
  },
  exchange_failed: {
    title: "Square connection failed",
    ok: false,
    fallback: "Square did not complete the connection. Please try again in a moment.",
  },
};

/** What the OAuth callback's `?square=…&message=…` says, or null for anything else. */
export function readOutcome(params: URLSearchParams): { title: string; ok: boolean; message: string } | null {
  const outcome = params.get("square");
  if (!outcome || !(outcome in OUTCOMES)) return null;
  const known = OUTCOMES[outcome as Outcome];
  return { title: known.title, ok: known.ok, message: params.get("message") || known.fallback };
}
