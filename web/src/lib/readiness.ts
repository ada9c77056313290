// What the gateway's GET /ready says, in words for the "starting" screen.

/** The body of GET /ready: 200 when every service is ready, 503 naming what is not. */
export interface ReadyBody {
  status: string;
  services: Record<string, string>;
}

export interface Readiness {
  ready: boolean;
  /** "starting" before the platform was first ready, "degraded" after, "unreachable" without an answer. */
  phase: "ready" | "starting" | "degraded" | "unreachable";
  /** Every service the gateway named, with what it reports ("ok" when ready). */
  services: { service: string; state: string }[];
  /** The services still waited for. */
  waiting: { service: string; state: string }[];
}

const SERVICE_NAMES: Record<string, string> = {
  ingest: "Uploads",
  forecasting: "Forecasting",
  segmentation: "Customer segments",
  pricing: "Pricing",
  inventory: "Inventory",
};

/** The person-facing name of a service ("pricing" -> "Pricing"). */
export function serviceLabel(service: string): string {
  return SERVICE_NAMES[service] ?? service;
}

/** Read an answer of GET /ready (status code and JSON body, or null when there was none). */
export function readReadiness(status: number, body: unknown): Readiness {
  const parsed = body && typeof body === "object" ? (body as Partial<ReadyBody>) : {};
  const services = parsed.services && typeof parsed.services === "object" ? parsed.services : {};
  const all = Object.entries(services).map(([service, state]) => ({ service, state: String(state) }));
  const waiting = all.filter((s) => s.state !== "ok");
  if (status === 200) return { ready: true, phase: "ready", services: all, waiting: [] };
  if (status === 503 && all.length > 0) {
    const phase = parsed.status === "degraded" ? "degraded" : "starting";
    return { ready: false, phase, services: all, waiting };
  }
  // No gateway answer (0), or one that is not the readiness shape (a proxy's error page).
  return { ready: false, phase: "unreachable", services: all, waiting };
}

/** Ask the gateway once; a failed fetch reads as "unreachable", never as an exception. */
export async function fetchReadiness(fetchImpl: typeof fetch = fetch): Promise<Readiness> {
  try {
    const res = await fetchImpl("/ready", { headers: { Accept: "application/json" }, cache: "no-store" });
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    return readReadiness(res.status, body);
  } catch {
    return readReadiness(0, null);
  }
}

/**
 * Poll /ready every `intervalMs` until it answers 200, reporting each answer; resolves true once
 * ready, false when `signal` aborts first.
 */
export async function pollUntilReady(
  onAnswer: (readiness: Readiness) => void,
  options: { intervalMs?: number; signal?: AbortSignal; fetchImpl?: typeof fetch } = {},
): Promise<boolean> {
  const { intervalMs = 2000, signal, fetchImpl = fetch } = options;
  while (!signal?.aborted) {
    const readiness = await fetchReadiness(fetchImpl);
    if (signal?.aborted) return false;
    onAnswer(readiness);
    if (readiness.ready) return true;
    if (signal?.aborted) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return false;
}
