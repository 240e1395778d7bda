/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Where the API lives; the deployment builds with /api/v1. */
  readonly VITE_API_BASE_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
