import createClient from "openapi-fetch";

import type { paths } from "@/client/schema";
import { API_BASE, authFetch } from "@/lib/session";

/** The typed API client (paths and shapes generated from the backend's OpenAPI document). */
export const api = createClient<paths>({ baseUrl: API_BASE, fetch: authFetch });

type FieldError = { field?: string; loc?: unknown[]; msg: string };

/** An API error with the message to show and, for a 422, the message of each named field. */
export class ApiError extends Error {
  readonly status: number;
  readonly fields: Record<string, string>;

  constructor(status: number, detail: unknown) {
    const fields: Record<string, string> = {};
    let message = "Something went wrong; please try again.";
    if (typeof detail === "string") {
      message = detail;
    } else if (Array.isArray(detail)) {
      for (const item of detail as FieldError[]) {
        const name = item.field || "form";
        fields[name] = cleanMessage(item.msg);
      }
      message = Object.values(fields)[0] ?? message;
    } else if (status >= 500) {
      message = "The server had a problem; please try again in a moment.";
    }
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

function cleanMessage(msg: string): string {
  // Pydantic prefixes custom validation messages with "Value error, ".
  return msg.replace(/^Value error, /, "");
}

/** The data of an openapi-fetch result, or an ApiError carrying the API's detail. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    const detail =
      result.error && typeof result.error === "object" && "detail" in result.error
        ? (result.error as { detail: unknown }).detail
        : undefined;
    throw new ApiError(result.response.status, detail);
  }
  return result.data as T;
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return "Cannot reach the server; check your connection.";
  return "Something went wrong; please try again.";
}
