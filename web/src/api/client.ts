// The one way the Studio talks to the service: same-origin requests carrying the session
// cookie, the CSRF header on unsafe methods, and errors in the API's one error shape.
import type { components } from "./schema";

export type ErrorItem = components["schemas"]["ErrorItem"];

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** The header the API asks of cookie-authenticated unsafe requests (CSRF defence). */
export const CLIENT_HEADER = { "X-Automator-Client": "studio" } as const;

/** A 4xx/5xx answer: the API's `{"error": {code, message, details}}`, or what stood in for it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorItem[];

  constructor(status: number, code: string, message: string, details: ErrorItem[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Details whose location names this path, e.g. ["body", "actions", 2, "data"]. */
  detailsAt(prefix: readonly (string | number)[]): ErrorItem[] {
    return this.details.filter((d) => prefix.every((part, i) => d.loc[i] === part));
  }
}

/** Reads the API's error body; anything else (a proxy's HTML page) becomes a plain message. */
export function errorFrom(status: number, body: unknown): ApiError {
  if (typeof body === "object" && body !== null && "error" in body) {
    const error = (body as { error: unknown }).error;
    if (typeof error === "object" && error !== null) {
      const { code, message, details } = error as Record<string, unknown>;
      return new ApiError(
        status,
        typeof code === "string" ? code : "error",
        typeof message === "string" ? message : `HTTP ${status}`,
        Array.isArray(details) ? (details as ErrorItem[]) : [],
      );
    }
  }
  return new ApiError(status, "http_error", `The service answered HTTP ${status}.`);
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  /** A JSON value, or a FormData / raw string sent as is. */
  body?: unknown;
  signal?: AbortSignal;
}

export function urlOf(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** Builds the fetch init: cookie credentials, the CSRF header on unsafe methods, a JSON body. */
export function requestInit(method: string, options: RequestOptions = {}): RequestInit {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (UNSAFE.has(method)) Object.assign(headers, CLIENT_HEADER);
  let body: BodyInit | undefined;
  if (options.body instanceof FormData || typeof options.body === "string") {
    body = options.body;
    if (typeof options.body === "string") headers["Content-Type"] = "application/json";
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  return { method, headers, body, credentials: "same-origin", signal: options.signal };
}

/** Calls the API and returns its JSON (undefined for 204); throws ApiError on 4xx/5xx. */
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(urlOf(path, options.query), requestInit(method, options));
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(0, "unreachable", "The service cannot be reached. Is it running?");
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) throw errorFrom(response.status, parsed);
  return parsed as T;
}
