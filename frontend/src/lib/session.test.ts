import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { authFetch, getAccessToken, onSessionExpired, refreshSession, setAccessToken } from "@/lib/session";

type Handler = (request: Request) => Response | Promise<Response>;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** A fake API: /auth/refresh hands out token-N, other paths need the latest token. */
function fakeApi(options: { refreshOk?: boolean } = {}) {
  const calls: { url: string; auth: string | null }[] = [];
  let issued = 0;
  let current = "token-0";
  const handler: Handler = async (request) => {
    const url = new URL(request.url);
    calls.push({ url: url.pathname, auth: request.headers.get("Authorization") });
    if (url.pathname === "/api/v1/auth/refresh") {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (options.refreshOk === false) return json({ detail: "Session expired" }, 401);
      issued += 1;
      current = `token-${issued}`;
      return json({ access_token: current, token_type: "bearer", expires_in: 900 });
    }
    if (request.headers.get("Authorization") !== `Bearer ${current}`) {
      return json({ detail: "Not authenticated" }, 401);
    }
    return json({ ok: true, path: url.pathname });
  };
  return { calls, handler, refreshes: () => calls.filter((c) => c.url.endsWith("/refresh")).length };
}

function install(handler: Handler) {
  vi.stubGlobal("fetch", (input: RequestInfo | URL, init?: RequestInit) =>
    handler(input instanceof Request ? input : new Request(new URL(String(input), "http://app.test"), init)),
  );
}

const request = (path: string) => new Request(`http://app.test/api/v1${path}`);

describe("authFetch", () => {
  beforeEach(() => setAccessToken("stale-token"));
  afterEach(() => vi.unstubAllGlobals());

  it("renews an expired token once for many concurrent requests and retries each", async () => {
    const api = fakeApi();
    install(api.handler);
    const responses = await Promise.all(
      ["/users/me", "/locations", "/organization"].map((p) => authFetch(request(p))),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(api.refreshes()).toBe(1);
    expect(getAccessToken()).toBe("token-1");
    const retried = api.calls.filter((c) => !c.url.endsWith("/refresh") && c.auth === "Bearer token-1");
    expect(retried).toHaveLength(3);
  });

  it("sends the current token and does not refresh when it is accepted", async () => {
    const api = fakeApi();
    install(api.handler);
    setAccessToken("token-0");
    const response = await authFetch(request("/users/me"));
    expect(response.status).toBe(200);
    expect(api.refreshes()).toBe(0);
    expect(api.calls[0]?.auth).toBe("Bearer token-0");
  });

  it("tells the app the session is over when the refresh cookie is refused", async () => {
    const api = fakeApi({ refreshOk: false });
    install(api.handler);
    const expired = vi.fn();
    const unsubscribe = onSessionExpired(expired);
    const response = await authFetch(request("/users/me"));
    unsubscribe();
    expect(response.status).toBe(401);
    expect(expired).toHaveBeenCalledTimes(1);
    expect(getAccessToken()).toBeNull();
  });

  it("never refreshes on a failed sign-in", async () => {
    const api = fakeApi();
    install(async (req) => {
      if (req.url.endsWith("/auth/login")) return json({ detail: "Incorrect email or password" }, 401);
      return api.handler(req);
    });
    const response = await authFetch(
      new Request("http://app.test/api/v1/auth/login", { method: "POST", body: "{}" }),
    );
    expect(response.status).toBe(401);
    expect(api.refreshes()).toBe(0);
  });

  it("retries a request with its body intact", async () => {
    const bodies: string[] = [];
    const api = fakeApi();
    install(async (req) => {
      if (req.method === "PATCH") bodies.push(await req.clone().text());
      return api.handler(req);
    });
    const response = await authFetch(
      new Request("http://app.test/api/v1/organization", { method: "PATCH", body: '{"name":"Acme"}' }),
    );
    expect(response.status).toBe(200);
    expect(bodies).toEqual(['{"name":"Acme"}', '{"name":"Acme"}']);
  });
});

describe("refreshSession", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shares one request between concurrent callers and allows a new one afterwards", async () => {
    const api = fakeApi();
    install(api.handler);
    const results = await Promise.all([refreshSession(), refreshSession(), refreshSession()]);
    expect(results).toEqual([true, true, true]);
    expect(api.refreshes()).toBe(1);
    await refreshSession();
    expect(api.refreshes()).toBe(2);
    expect(getAccessToken()).toBe("token-2");
  });
});
