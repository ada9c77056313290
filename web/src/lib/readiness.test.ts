import { describe, expect, it } from "vitest";
import { pollUntilReady, readReadiness, type Readiness } from "./readiness";

const STARTING = {
  status: "starting",
  services: { ingest: "ok", forecasting: "not answering", segmentation: "ok", pricing: "ok", inventory: "ok" },
};
const READY = { status: "ready", services: { ingest: "ok", forecasting: "ok", segmentation: "ok", pricing: "ok", inventory: "ok" } };

function answers(...replies: [number, unknown][]): typeof fetch {
  let call = 0;
  return (async () => {
    const [status, body] = replies[Math.min(call++, replies.length - 1)]!;
    if (status === 0) throw new TypeError("Failed to fetch");
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  }) as typeof fetch;
}

describe("readiness", () => {
  it("names the services still starting from a 503", () => {
    const r = readReadiness(503, STARTING);
    expect(r.ready).toBe(false);
    expect(r.phase).toBe("starting");
    expect(r.waiting).toEqual([{ service: "forecasting", state: "not answering" }]);
    expect(r.services).toHaveLength(5);
  });

  it("tells an outage after a first start from a start", () => {
    expect(readReadiness(503, { ...STARTING, status: "degraded" }).phase).toBe("degraded");
  });

  it("is ready only on a 200", () => {
    expect(readReadiness(200, READY)).toMatchObject({ ready: true, phase: "ready", waiting: [] });
    expect(readReadiness(502, "<html>bad gateway</html>")).toMatchObject({ ready: false, phase: "unreachable" });
    expect(readReadiness(0, null)).toMatchObject({ ready: false, phase: "unreachable", services: [] });
  });

  it("polls through a failed fetch and a start until ready, reporting each answer", async () => {
    const seen: Readiness[] = [];
    const ready = await pollUntilReady((r) => seen.push(r), {
      intervalMs: 1,
      fetchImpl: answers([0, null], [503, STARTING], [200, READY]),
    });
    expect(ready).toBe(true);
    expect(seen.map((r) => r.phase)).toEqual(["unreachable", "starting", "ready"]);
  });

  it("stops when aborted", async () => {
    const stop = new AbortController();
    const seen: Readiness[] = [];
    const polling = pollUntilReady(
      (r) => {
        seen.push(r);
        stop.abort();
      },
      { intervalMs: 60_000, signal: stop.signal, fetchImpl: answers([503, STARTING]) },
    );
    await expect(polling).resolves.toBe(false);
    expect(seen).toHaveLength(1);
  });
});
