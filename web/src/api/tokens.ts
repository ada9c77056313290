// Tokens live in memory for speed and in localStorage so a reload keeps the session.
import type { TokenPair } from "./types";

const STORAGE_KEY = "smartretail.tokens";

export interface Tokens {
  access: string;
  refresh: string;
}

type Listener = (tokens: Tokens | null) => void;

function readStorage(): Tokens | null {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Tokens>;
    return parsed.access && parsed.refresh ? { access: parsed.access, refresh: parsed.refresh } : null;
  } catch {
    return null;
  }
}

let current: Tokens | null = readStorage();
const listeners = new Set<Listener>();

/** Current tokens, or null when signed out. */
export function getTokens(): Tokens | null {
  return current;
}

/** Store a fresh token pair from /auth/login or /auth/refresh. */
export function setTokens(pair: TokenPair | Tokens | null): void {
  if (pair === null) {
    current = null;
  } else if ("access_token" in pair) {
    current = { access: pair.access_token, refresh: pair.refresh_token };
  } else {
    current = pair;
  }
  try {
    if (current) globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(current));
    else globalThis.localStorage?.removeItem(STORAGE_KEY);
  } catch {
    // Private mode or a full quota: the in-memory copy still works for this tab.
  }
  listeners.forEach((fn) => fn(current));
}

/** Listen to sign-in / sign-out; returns the unsubscribe function. */
export function onTokensChange(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Another tab signing out (or in) should be reflected here too.
globalThis.addEventListener?.("storage", (event: StorageEvent) => {
  if (event.key !== STORAGE_KEY) return;
  current = readStorage();
  listeners.forEach((fn) => fn(current));
});
