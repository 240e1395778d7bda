import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { useSaveFootfall } from "@/features/footfall/api";
import { json, stubApi } from "@/test/reportFixtures";

describe("useSaveFootfall", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("makes the dashboard ask again for conversion and footfall gaps after a save", async () => {
    stubApi((url) => (url.pathname === "/api/v1/footfall/bulk" ? json({ created: 1, updated: 0, deleted: 0 }) : undefined));
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
    const cached = [["reports", "summary", {}], ["locations", "coverage", "2026-01-05", "2026-01-11"], ["footfall", "range"], ["square", "connections"]];
    for (const key of cached) queryClient.setQueryData(key, {});
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    );
    const { result } = renderHook(() => useSaveFootfall(), { wrapper });
    await act(async () => {
      await result.current.mutateAsync([{ location_id: 4, date: "2026-01-05", count: 400, closed: false }]);
    });
    const stale = (key: unknown[]) => queryClient.getQueryState(key)?.isInvalidated;
    await waitFor(() => expect(stale(cached[0] ?? [])).toBe(true));
    expect(stale(cached[1] ?? [])).toBe(true);
    expect(stale(cached[2] ?? [])).toBe(true);
    // Unrelated data stays as it was.
    expect(stale(cached[3] ?? [])).toBe(false);
  });
});
