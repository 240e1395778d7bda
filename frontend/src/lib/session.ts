// The session: the access token lives only in memory; the httpOnly refresh cookie (path
// /api/v1/auth, SameSite=Strict) renews it. Refreshes are single-flight: the backend rotates the
// refresh token on every use and treats a replayed one as theft, so two concurrent refreshes
// with the same cookie would sign the user out.

export const API_BASE = (import.meta.env.VITE_API_BASE_URL ?? "/api/v1").replace(/\/$/, "");

type Listener = () => void;

let accessToken: string | null = null;
let inflight: Promise<boolean> | null = null;
const expiredListeners = new Set<Listener>();

export function getAccessToken(): string | null {
  return accessToken;
}

export function setAccessToken(token: string | null): void {
  accessToken = token;
}

/** Called when the session could not be renewed (the user must sign in again). */
export function onSessionExpired(listener: Listener): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

async function postRefresh(): Promise<boolean> {
  try {
    const response = await fetch(`${API_BASE}/auth/refresh`, {
      method: "POST",
      credentials: "same-origin",
    });
    if (!response.ok) {
      accessToken = null;
      return false;
    }
    const body = (await response.json()) as { access_token: string };
    accessToken = body.access_token;
    return true;
  } catch {
    accessToken = null;
    return false;
  }
}

async function refreshAcrossTabs(): Promise<boolean> {
  // Tabs share the cookie: a Web Lock keeps two tabs from spending the same refresh token.
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (locks?.request) {
    return locks.request("teliporter-session-refresh", postRefresh);
  }
  return postRefresh();
}

/** Renew the access token from the refresh cookie; concurrent callers share one request. */
export function refreshSession(): Promise<boolean> {
  if (!inflight) {
    inflight = refreshAcrossTabs().finally(() => {
      inflight = null;
    });
  }
  return inflight;
}

let pageLoadRefresh: Promise<boolean> | null = null;

type StartedRefresh = Promise<{ access_token: string } | null>;

/** The refresh public/session-start.js started as the page opened, taken once. */
function takeStartedRefresh(): Promise<boolean> | null {
  const w = window as { teliporterSessionStart?: StartedRefresh };
  const started = w.teliporterSessionStart;
  delete w.teliporterSessionStart;
  // It posts to the site's own /api/v1: an app built for another API address refreshes itself.
  if (!started || API_BASE !== "/api/v1") return null;
  return started.then((body) => {
    accessToken = body?.access_token ?? null;
    return accessToken !== null;
  });
}

/**
 * The page load's session restore: the refresh public/session-start.js began as the page
 * opened, or one started now, before React renders (main.tsx); the session provider takes it up.
 */
export function startSessionRestore(): Promise<boolean> {
  if (!pageLoadRefresh) {
    const started = typeof window === "undefined" ? null : takeStartedRefresh();
    if (started && !inflight) {
      // Single-flight with every other refresh until it settles.
      inflight = started.finally(() => {
        inflight = null;
      });
      pageLoadRefresh = inflight;
    } else {
      pageLoadRefresh = refreshSession();
    }
  }
  return pageLoadRefresh;
}

/** The session restore of this page load: the one already under way, or a new refresh. */
export function restoreSession(): Promise<boolean> {
  const started = pageLoadRefresh;
  if (!started) return refreshSession();
  // Handed out until it settles (React's strict mode mounts twice), then never again: a later
  // mount refreshes afresh.
  void started.finally(() => {
    if (pageLoadRefresh === started) pageLoadRefresh = null;
  });
  return started;
}

function withToken(request: Request, token: string | null): Request {
  const headers = new Headers(request.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  else headers.delete("Authorization");
  return new Request(request, { headers });
}

function isAuthCall(request: Request): boolean {
  return new URL(request.url, "http://x").pathname.startsWith(`${API_BASE}/auth/`);
}

/**
 * fetch for the API client: sends the access token and, on a 401, renews the session once and
 * retries. When the session cannot be renewed, listeners are told so the app can ask the user to
 * sign in again (and bring them back afterwards).
 */
export async function authFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const sentWith = accessToken;
  const response = await fetch(withToken(request, sentWith));
  if (response.status !== 401 || isAuthCall(request)) return response;
  // Another request may have renewed the token while this one was on its way.
  const renewed = accessToken !== null && accessToken !== sentWith ? true : await refreshSession();
  if (!renewed) {
    expiredListeners.forEach((listener) => listener());
    return response;
  }
  return fetch(withToken(retry, accessToken));
}
