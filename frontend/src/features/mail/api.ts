import { useQuery } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { useMe } from "@/features/auth/api";
import { api, unwrap } from "@/lib/api";

export type LocalMailbox = components["schemas"]["LocalMailbox"];
export type CapturedMail = components["schemas"]["CapturedMail"];
export type MailRecord = components["schemas"]["MailMessageRead"];

export const mailKeys = {
  all: ["mail"] as const,
  localMailbox: () => [...mailKeys.all, "local-mailbox"] as const,
  localMail: (id: string) => [...mailKeys.all, "local-mailbox", id] as const,
  log: (offset: number) => [...mailKeys.all, "log", offset] as const,
};

/** The organization's e-mails and how each one's delivery went, newest first (owner or admin). */
export function useMailLog(offset: number, limit: number) {
  return useQuery({
    queryKey: mailKeys.log(offset),
    queryFn: async () => unwrap(await api.GET("/mail/messages", { params: { query: { limit, offset } } })),
    // A queued message is retried by the worker: its state changes on its own.
    refetchInterval: 15_000,
  });
}

/** The dev mailbox (what `make run`'s local SMTP listener received); asked only by an owner. */
export function useLocalMailbox({ poll = false }: { poll?: boolean } = {}) {
  const me = useMe();
  return useQuery({
    queryKey: mailKeys.localMailbox(),
    queryFn: async () => unwrap(await api.GET("/mail/local-mailbox")),
    enabled: me.data?.role === "owner",
    // New mail arrives from the worker a moment after the action that sends it.
    refetchInterval: poll ? 3000 : false,
  });
}

export function useLocalMail(id: string | null) {
  return useQuery({
    queryKey: mailKeys.localMail(id ?? ""),
    queryFn: async () =>
      unwrap(await api.GET("/mail/local-mailbox/{message_id}", { params: { path: { message_id: id ?? "" } } })),
    enabled: id !== null,
  });
}
