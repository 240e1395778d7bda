import { useMutation, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { authKeys } from "@/features/auth/api";
import { api, unwrap } from "@/lib/api";

export type MeUpdate = components["schemas"]["MeUpdate"];

/**
 * Changes one's own name or password (PATCH /users/me). A new password signs out every other
 * session of the user; this one stays signed in.
 */
export function useUpdateMe() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: MeUpdate) => unwrap(await api.PATCH("/users/me", { body })),
    onSuccess: (me) => queryClient.setQueryData(authKeys.me(), me),
  });
}

/** Asks to sign in with another address (POST /users/me/email): a link goes to it, and the
 * address changes when the link is opened. */
export function useRequestEmailChange() {
  return useMutation({
    mutationFn: async (body: { new_email: string; current_password: string }) =>
      unwrap(await api.POST("/users/me/email", { body })),
  });
}
