import "@testing-library/jest-dom/vitest";

import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

import { type Catalog, setCatalog } from "@/features/catalog/registry";
import catalog from "@/test/catalog.fixture.json";

// The report catalog, as GET /reports/catalog sends it (`npm run client:generate` writes the
// fixture from the backend; `client:check` fails when it is out of date), registered as the
// signed-in layout does before any page renders.
setCatalog(catalog as Catalog);

afterEach(() => {
  cleanup();
});

// Mantine reads these browser APIs that jsdom lacks.
Object.defineProperty(window, "matchMedia", {
  writable: true,
  value: (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => {},
    removeListener: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    dispatchEvent: () => false,
  }),
});
class ResizeObserverStub {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
window.ResizeObserver = ResizeObserverStub;
window.HTMLElement.prototype.scrollIntoView = () => {};

// Node's Request (which openapi-fetch uses) wants absolute URLs; a browser resolves "/api/v1/…"
// against the page, so the tests do the same.
const NodeRequest = globalThis.Request;
globalThis.Request = class extends NodeRequest {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" && input.startsWith("/") ? new URL(input, window.location.href) : input, init);
  }
} as typeof Request;
