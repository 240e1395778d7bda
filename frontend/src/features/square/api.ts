import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef } from "react";

import type { components } from "@/client/schema";
import { locationKeys } from "@/features/locations/api";
import { api, unwrap } from "@/lib/api";

export type Connection = components["schemas"]["ConnectionRead"];
export type SyncRun = components["schemas"]["SyncRunRead"];
export type SyncState = components["schemas"]["SyncState"];
export type BackfillProgress = components["schemas"]["BackfillProgress"];
export type SquareStatus = components["schemas"]["SquareStatus"];

/** A run in one of these states will not change any more. */
export const FINISHED_STATES: ReadonlySet<SyncRun["state"]> = new Set(["succeeded", "failed", "skipped"]);

export const squareKeys = {
  all: ["square"] as const,
  connections: () => [...squareKeys.all, "connections"] as const,
  status: () => [...squareKeys.all, "status"] as const,
  run: (id: number) => [...squareKeys.all, "sync-runs", id] as const,
};

/** A connection whose sync is queued or running, or whose history is still loading. */
export function isSyncing(c: Connection): boolean {
  if (c.status !== "active") return false;
  return c.sync.history_loading || c.sync.activity === "queued" || c.sync.activity === "backfilling";
}

/**
 * The organization's Square connections. While a connection's sync is queued or its first sync
 * (backfill) has not finished, the list is polled, so its progress shows without a reload.
 */
export function useConnections(pollMs = 3000) {
  return useQuery({
    queryKey: squareKeys.connections(),
    queryFn: async () => unwrap(await api.GET("/square/connections")),
    refetchInterval: (query) => ((query.state.data?.items ?? []).some(isSyncing) ? pollMs : false),
  });
}

/**
 * Whether the organization's sales history is still loading (the dashboard's notice), polled
 * while it is; when it has finished, every report is fetched again, so the figures fill in.
 */
export function useSquareStatus(pollMs = 5000) {
  const queryClient = useQueryClient();
  const loading = useRef<boolean | null>(null);
  return useQuery({
    queryKey: squareKeys.status(),
    queryFn: async () => {
      const status = unwrap(await api.GET("/square/status"));
      if (loading.current === true && !status.history_loading) void queryClient.invalidateQueries();
      loading.current = status.history_loading;
      return status;
    },
    refetchInterval: (query) => (query.state.data?.history_loading ? pollMs : false),
  });
}

/** "about 3 minutes left", "under a minute left", or null when there is no estimate yet. */
export function timeLeft(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined) return null;
  if (seconds < 60) return "under a minute left";
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `about ${minutes} minute${minutes === 1 ? "" : "s"} left`;
  const hours = Math.round(minutes / 60);
  return `about ${hours} hours left`;
}

/** Percent of the backfill's days fetched, 0–100. */
export function backfillPercent(b: BackfillProgress): number {
  return b.days_total > 0 ? Math.min(100, Math.floor((100 * b.days_done) / b.days_total)) : 0;
}

/** Asks the API for Square's authorize page and sends the browser there. */
export function useConnectSquare() {
  return useMutation({
    mutationFn: async () => unwrap(await api.GET("/square/connect")),
    onSuccess: ({ authorize_url }) => window.location.assign(authorize_url),
  });
}

export function useStartSync() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (connectionId: number) =>
      unwrap(await api.POST("/square/sync", { body: { connection_id: connectionId } })),
    // The connection now shows its run queued (and how many syncs are ahead of it).
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: squareKeys.connections() }),
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
        void queryClient.invalidateQueries({ queryKey: squareKeys.status() });
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
