import { useQueryClient } from "@tanstack/react-query";
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from "react";

import { onSessionExpired, restoreSession, setAccessToken } from "@/lib/session";

type Status = "loading" | "authenticated" | "anonymous";

type SessionContextValue = {
  status: Status;
  /** Why the user is signed out: the session ran out, or they signed out themselves. */
  reason: "expired" | "signed-out" | null;
  signedIn: (accessToken: string) => void;
  signedOut: () => void;
};

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>("loading");
  const [reason, setReason] = useState<SessionContextValue["reason"]>(null);

  useEffect(() => {
    // A reload loses the in-memory token: the refresh cookie brings the session back.
    let active = true;
    void restoreSession().then((ok) => {
      if (active) setStatus((current) => (current === "loading" ? (ok ? "authenticated" : "anonymous") : current));
    });
    const unsubscribe = onSessionExpired(() => {
      setAccessToken(null);
      setReason("expired");
      setStatus("anonymous");
      queryClient.clear();
    });
    return () => {
      active = false;
      unsubscribe();
    };
  }, [queryClient]);

  const signedIn = useCallback((token: string) => {
    setAccessToken(token);
    setReason(null);
    setStatus("authenticated");
  }, []);

  const signedOut = useCallback(() => {
    setAccessToken(null);
    setReason("signed-out");
    setStatus("anonymous");
    queryClient.clear();
  }, [queryClient]);

  const value = useMemo(
    () => ({ status, reason, signedIn, signedOut }),
    [status, reason, signedIn, signedOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession must be used inside <SessionProvider>");
  return value;
}

/** Where to go after signing in: a path inside the app, never another site. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}
