// Same-origin fetch wrapper: bearer token, one refresh on 401, errors turned into words.
import { getTokens, setTokens } from "./tokens";
import type { TokenPair } from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, message: string, body: unknown) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

type QueryValue = string | number | boolean | null | undefined;

/** Build "?a=1&b=x" from the defined, non-empty values (or "" when none are left). */
export function queryString(params: Record<string, QueryValue>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** Turn an error body (FastAPI's string or validation-list `detail`) into one sentence. */
export function errorMessage(status: number, body: unknown): string {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string" && detail.trim()) return detail;
    if (Array.isArray(detail) && detail.length > 0) {
      return detail
        .map((d) => {
          const item = d as { loc?: unknown[]; msg?: string };
          const field = Array.isArray(item.loc) ? item.loc.filter((p) => p !== "body").join(".") : "";
          return field ? `${field}: ${item.msg ?? "invalid"}` : (item.msg ?? "invalid value");
        })
        .join("; ");
    }
  }
  if (status === 0) return "Cannot reach the server. Check your connection and try again.";
  if (status === 401) return "Your session has expired. Please sign in again.";
  if (status === 403) return "You do not have access to this.";
  if (status === 404) return "Not found.";
  if (status === 413) return "The file is too large.";
  if (status >= 500) return "The server had a problem. Please try again in a moment.";
  return `Request failed (HTTP ${status}).`;
}

type AuthFailureHandler = () => void;
let onAuthFailure: AuthFailureHandler = () => {};

/** Called when a refresh fails: the app redirects to sign-in keeping the current page. */
export function setAuthFailureHandler(fn: AuthFailureHandler): void {
  onAuthFailure = fn;
}

let refreshing: Promise<boolean> | null = null;

/** Exchange the refresh token once; concurrent 401s share the same attempt. */
export function refreshTokens(fetchImpl: typeof fetch = fetch): Promise<boolean> {
  if (refreshing) return refreshing;
  const tokens = getTokens();
  if (!tokens) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const res = await fetchImpl("/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: tokens.refresh }),
      });
      if (!res.ok) return false;
      setTokens((await res.json()) as TokenPair);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  auth?: boolean;
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
}

async function readBody(res: Response): Promise<unknown> {
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      return await res.json();
    } catch {
      return null;
    }
  }
  return await res.text();
}

/** Send a request; retries once after refreshing on 401, then hands over to sign-in. */
export async function sendRaw(path: string, options: RequestOptions = {}): Promise<Response> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const auth = options.auth ?? true;
  const attempt = async (): Promise<Response> => {
    const headers: Record<string, string> = { Accept: "application/json" };
    const tokens = getTokens();
    if (auth && tokens) headers.Authorization = `Bearer ${tokens.access}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    try {
      return await fetchImpl(path, { method: options.method ?? "GET", headers, body, signal: options.signal });
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new ApiError(0, errorMessage(0, null), null);
    }
  };
  let res = await attempt();
  if (res.status === 401 && auth) {
    if (await refreshTokens(fetchImpl)) res = await attempt();
    if (res.status === 401) {
      setTokens(null);
      onAuthFailure();
    }
  }
  return res;
}

/** JSON request returning the parsed body, or throwing ApiError with a readable message. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await sendRaw(path, options);
  const body = await readBody(res);
  if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, body), body);
  return body as T;
}

/** Fetch a file with the bearer token and hand it to the browser as a download. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await sendRaw(path, { auth: true });
  if (!res.ok) {
    const body = await readBody(res);
    throw new ApiError(res.status, errorMessage(res.status, body), body);
  }
  const blob = await res.blob();
  const disposition = res.headers.get("content-disposition") ?? "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = match?.[1] ? decodeURIComponent(match[1]) : fallbackName;
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
