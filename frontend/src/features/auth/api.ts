import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { useSession } from "@/features/auth/session";
import { api, unwrap } from "@/lib/api";

export type Me = components["schemas"]["MeRead"];
export type RegisterIn = components["schemas"]["RegisterIn"];
export type LoginIn = components["schemas"]["LoginIn"];

export const authKeys = {
  all: ["auth"] as const,
  me: () => [...authKeys.all, "me"] as const,
};

export const meQuery = () =>
  queryOptions({ queryKey: authKeys.me(), queryFn: async () => unwrap(await api.GET("/users/me")), staleTime: 60_000 });

/** The signed-in user with their organization. */
export function useMe() {
  const { status } = useSession();
  return useQuery({ ...meQuery(), enabled: status === "authenticated" });
}

export function useSignIn() {
  const { signedIn } = useSession();
  return useMutation({
    mutationFn: async (body: LoginIn) => unwrap(await api.POST("/auth/login", { body })),
    onSuccess: (token) => signedIn(token.access_token),
  });
}

/** Creates the organization and its owner, then signs the owner in. */
export function useRegister() {
  const { signedIn } = useSession();
  return useMutation({
    mutationFn: async (body: RegisterIn) => {
      unwrap(await api.POST("/auth/register", { body }));
      return unwrap(
        await api.POST("/auth/login", { body: { email: body.email, password: body.password } }),
      );
    },
    onSuccess: (token) => signedIn(token.access_token),
  });
}

/** Sets the invited user's password, then signs them in. */
export function useAcceptInvite() {
  const { signedIn } = useSession();
  return useMutation({
    mutationFn: async ({ token, password }: { token: string; password: string }) => {
      const user = unwrap(await api.POST("/auth/accept-invite", { body: { token, password } }));
      return unwrap(await api.POST("/auth/login", { body: { email: user.email, password } }));
    },
    onSuccess: (token) => signedIn(token.access_token),
  });
}

/** Asks for a password reset link; the answer is the same whether or not the address has an account. */
export function useForgotPassword() {
  return useMutation({
    mutationFn: async (email: string) => {
      unwrap(await api.POST("/auth/forgot-password", { body: { email } }));
    },
  });
}

/** Sets a new password from a reset link's token (every session of the account is signed out). */
export function useResetPassword() {
  return useMutation({
    mutationFn: async ({ token, password }: { token: string; password: string }) =>
      unwrap(await api.POST("/auth/reset-password", { body: { token, password } })),
  });
}

/** Opens a change-of-address link: the account signs in with the new address from then on. */
export function useConfirmEmail() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (token: string) => unwrap(await api.POST("/auth/confirm-email", { body: { token } })),
    // The signed-in user's address may be the one that changed. A /users/me request sent before
    // the change (the page's own start) would answer with the old address after this and count
    // as fresh: cancel it, then fetch again even with no page showing it yet.
    onSuccess: async () => {
      await queryClient.cancelQueries({ queryKey: authKeys.me() });
      await queryClient.invalidateQueries({ queryKey: authKeys.me(), refetchType: "all" });
    },
  });
}

export function useSignOut() {
  const { signedOut } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      // Signing out locally matters more than the server's answer.
      await api.POST("/auth/logout").catch(() => undefined);
    },
    onSettled: () => {
      signedOut();
      queryClient.clear();
    },
  });
}
