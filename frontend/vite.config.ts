/// <reference types="vitest/config" />
import { fileURLToPath, URL } from "node:url";

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const SRC = fileURLToPath(new URL("./src/", import.meta.url));
const ENTRY = fileURLToPath(new URL("./src/main.tsx", import.meta.url));
let entryModules: Set<string> | null = null;

type ModuleInfo = { importedIds: readonly string[] } | null;

/** The modules `root` imports statically, directly or not (itself included). */
function staticallyImported(root: string, getModuleInfo: (id: string) => ModuleInfo): Set<string> {
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(getModuleInfo(id)?.importedIds ?? []));
  }
  return seen;
}

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  server: {
    // `npm run dev` talks to the API that `make run` serves.
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  build: {
    sourcemap: false,
    rollupOptions: {
      output: {
        // Libraries every page needs change less often than our code: their own cacheable chunks.
        // Our own code is three kinds: the small entry (main.tsx and what it imports: the first
        // load's requests, src/main.tsx), each page with what only it uses, and "app" for the rest
        // (the shell, the router, and what pages share), so that a page's first load is a handful
        // of files, not twenty 1–3 KB ones queued beside its API calls on six connections.
        manualChunks(id, { getModuleInfo }) {
          if (/\/node_modules\/(react|react-dom|react-router|scheduler)\//.test(id)) return "react";
          // Mantine's stylesheet stays with the entry (a <link> in index.html, loaded from the
          // start); in the mantine chunk, it made the small entry import that chunk.
          if (/\/node_modules\/@mantine\/(core|hooks)\//.test(id) && !id.endsWith(".css")) return "mantine";
          // What the entry imports is its own chunk ("first"): left to Rollup, the modules the
          // app also imports went into "app", and the entry had to wait for all of it.
          entryModules ??= staticallyImported(ENTRY, getModuleInfo);
          if (entryModules.has(id)) return id === ENTRY ? undefined : "first";
          if (id.includes("/node_modules/@tabler/icons-react/")) return "app";
          if (!id.startsWith(SRC) || /(Page|TrendChart)\.tsx$/.test(id)) return undefined;
          return "app";
        },
      },
    },
  },
  test: {
    globals: true,
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
  },
});
