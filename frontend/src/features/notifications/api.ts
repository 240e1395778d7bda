// Notification settings (GET/PUT /users/me/notifications, and /users/{id}/notifications for an
// owner or admin setting up a team member's), the digest preview, and the unsubscribe link.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { api, unwrap } from "@/lib/api";

export type Notifications = components["schemas"]["NotificationsRead"];
export type NotificationsUpdate = components["schemas"]["NotificationsUpdate"];
export type DigestSettings = components["schemas"]["DigestSettings"];
export type DigestFrequency = components["schemas"]["DigestFrequency"];
export type Unsubscribe = components["schemas"]["UnsubscribeRead"];

/** Whose settings a form edits: one's own ("me") or a team member's (their id). */
export type Owner = "me" | number;

export const notificationKeys = {
  all: ["notifications"] as const,
  of: (owner: Owner) => [...notificationKeys.all, owner] as const,
  link: (token: string) => [...notificationKeys.all, "unsubscribe", token] as const,
};

async function read(owner: Owner): Promise<Notifications> {
  if (owner === "me") return unwrap(await api.GET("/users/me/notifications"));
  return unwrap(await api.GET("/users/{user_id}/notifications", { params: { path: { user_id: owner } } }));
}

export function useNotifications(owner: Owner) {
  return useQuery({ queryKey: notificationKeys.of(owner), queryFn: () => read(owner) });
}

export function useSaveNotifications(owner: Owner) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: NotificationsUpdate) =>
      owner === "me"
        ? unwrap(await api.PUT("/users/me/notifications", { body }))
        : unwrap(await api.PUT("/users/{user_id}/notifications", { params: { path: { user_id: owner } }, body })),
    onSuccess: (saved) => {
      queryClient.setQueryData(notificationKeys.of(owner), saved);
      // One's own settings may be open as "me" and, for an admin, under their own id.
      void queryClient.invalidateQueries({ queryKey: notificationKeys.all, refetchType: "none" });
    },
  });
}

/** Mails oneself the daily or weekly digest of the latest whole period now. */
export function usePreviewDigest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (frequency: DigestFrequency) =>
      unwrap(await api.POST("/users/me/notifications/preview", { body: { frequency } })),
    // A digest never set up is saved (off) by its first preview.
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: notificationKeys.of("me") }),
  });
}

/** What an unsubscribe link switches off (no sign-in needed). */
export function useUnsubscribeLink(token: string) {
  return useQuery({
    queryKey: notificationKeys.link(token),
    queryFn: async () => unwrap(await api.GET("/notifications/unsubscribe", { params: { query: { token } } })),
    enabled: token !== "",
    retry: false,
  });
}

/** Switches the digest off as a mail client's one-click unsubscribe does (RFC 8058). */
export function useUnsubscribe(token: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/notifications/unsubscribe", {
          params: { query: { token } },
          body: { "List-Unsubscribe": "One-Click" },
          bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
        }),
      ),
    onSuccess: (done) => {
      queryClient.setQueryData(notificationKeys.link(token), done);
      void queryClient.invalidateQueries({ queryKey: notificationKeys.all });
    },
  });
}
