import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { api, unwrap } from "@/lib/api";

export type ApiKey = components["schemas"]["ApiKeyRead"];
export type ApiKeyCreate = components["schemas"]["ApiKeyCreate"];
export type ApiKeyCreated = components["schemas"]["ApiKeyCreated"];

export const apiKeyKeys = {
  all: ["api-keys"] as const,
  list: () => [...apiKeyKeys.all, "list"] as const,
};

/** The organization's API keys for people counters, revoked ones included (owners and admins). */
export function useApiKeys(enabled = true) {
  return useQuery({
    queryKey: apiKeyKeys.list(),
    queryFn: async () => unwrap(await api.GET("/api-keys")),
    enabled,
  });
}

/** Creates a key; the answer carries the key itself, which is never shown again. */
export function useCreateApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: ApiKeyCreate) => unwrap(await api.POST("/api-keys", { body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: apiKeyKeys.list() }),
  });
}

/** Revokes a key at once (counters using it get 401 from then on). */
export function useRevokeApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) =>
      unwrap(await api.DELETE("/api-keys/{key_id}", { params: { path: { key_id: id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: apiKeyKeys.list() }),
  });
}
