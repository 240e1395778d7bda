import { useQuery } from "@tanstack/react-query";

import type { components } from "@/client/schema";
import { useMe } from "@/features/auth/api";
import { api, unwrap } from "@/lib/api";

export type LocalMailbox = components["schemas"]["LocalMailbox"];
export type CapturedMail = components["schemas"]["CapturedMail"];

export const mailKeys = {
  all: ["mail"] as const,
  localMailbox: () => [...mailKeys.all, "local-mailbox"] as const,
  localMail: (id: string) => [...mailKeys.all, "local-mailbox", id] as const,
};

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
