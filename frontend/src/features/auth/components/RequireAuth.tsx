import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";

import { Loading } from "@/components/ui/Loading";
import { useSession } from "@/features/auth/session";

/** Pages for signed-in users: anyone else goes to sign-in and comes back here afterwards. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { status, reason } = useSession();
  const location = useLocation();
  if (status === "loading") return <Loading label="Signing you in" fullPage />;
  if (status === "anonymous") {
    if (reason === "signed-out") return <Navigate to="/sign-in" replace />;
    const next = location.pathname + location.search;
    const params = new URLSearchParams();
    if (next !== "/") params.set("next", next);
    if (reason === "expired") params.set("expired", "1");
    const query = params.toString();
    return <Navigate to={`/sign-in${query ? `?${query}` : ""}`} replace />;
  }
  return <>{children}</>;
}
