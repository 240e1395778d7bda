import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { authKeys } from "@/features/auth/api";
import { api, unwrap } from "@/lib/api";

export type Organization = components["schemas"]["OrganizationRead"];
export type OrganizationUpdate = components["schemas"]["OrganizationUpdate"];
export type User = components["schemas"]["UserRead"];
export type UserCreate = components["schemas"]["UserCreate"];
export type UserUpdate = components["schemas"]["UserUpdate"];
export type Role = components["schemas"]["Role"];

export const ROLES: { value: Role; label: string; help: string }[] = [
  { value: "owner", label: "Owner", help: "Everything, including other owners" },
  { value: "admin", label: "Admin", help: "Everything except changing owners" },
  { value: "manager", label: "Manager", help: "Only the stores they are given" },
  { value: "viewer", label: "Viewer", help: "Sees every store, changes nothing" },
];

export const settingsKeys = {
  all: ["settings"] as const,
  organization: () => [...settingsKeys.all, "organization"] as const,
  users: () => [...settingsKeys.all, "users"] as const,
  userLocations: (userId: number) => [...settingsKeys.all, "users", userId, "locations"] as const,
};

export function useOrganization() {
  return useQuery({
    queryKey: settingsKeys.organization(),
    queryFn: async () => unwrap(await api.GET("/organization")),
  });
}

export function useUpdateOrganization() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: OrganizationUpdate) =>
      unwrap(await api.PATCH("/organization", { body })),
    onSuccess: (org) => {
      queryClient.setQueryData(settingsKeys.organization(), org);
      // The header and every money figure use the organization's name and currency.
      void queryClient.invalidateQueries({ queryKey: authKeys.me() });
    },
  });
}

export function useUsers(enabled = true) {
  return useQuery({
    queryKey: settingsKeys.users(),
    queryFn: async () => unwrap(await api.GET("/users")),
    enabled,
  });
}

/** Creates a user; without a password the answer carries a one-time invite token. */
export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: UserCreate) => unwrap(await api.POST("/users", { body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: settingsKeys.users() }),
  });
}

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, body }: { id: number; body: UserUpdate }) =>
      unwrap(await api.PATCH("/users/{user_id}", { params: { path: { user_id: id } }, body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: settingsKeys.users() }),
  });
}

/** Mails a new invitation link to a user who has not accepted yet (the old link stops working). */
export function useResendInvite() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) =>
      unwrap(await api.POST("/users/{user_id}/invite", { params: { path: { user_id: id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: settingsKeys.users() }),
  });
}

/** Makes a pending invitation's link stop working. */
export function useRevokeInvite() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) =>
      unwrap(await api.DELETE("/users/{user_id}/invite", { params: { path: { user_id: id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: settingsKeys.users() }),
  });
}

export function useUserLocations(userId: number) {
  return useQuery({
    queryKey: settingsKeys.userLocations(userId),
    queryFn: async () =>
      unwrap(await api.GET("/users/{user_id}/locations", { params: { path: { user_id: userId } } })),
  });
}

export function useSetUserLocations(userId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (locationIds: number[]) =>
      unwrap(
        await api.PUT("/users/{user_id}/locations", {
          params: { path: { user_id: userId } },
          body: { location_ids: locationIds },
        }),
      ),
    onSuccess: (grants) => queryClient.setQueryData(settingsKeys.userLocations(userId), grants),
  });
}
