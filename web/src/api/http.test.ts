import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, errorMessage, queryString, request, setAuthFailureHandler } from "./http";
import { getTokens, setTokens } from "./tokens";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

afterEach(() => {
  setTokens(null);
  setAuthFailureHandler(() => {});
});

describe("queryString", () => {
  it("drops empty values and encodes the rest", () => {
    expect(queryString({ store: "S 1", sku: "", limit: 20, urgent_only: undefined, x: null })).toBe("?store=S+1&limit=20");
    expect(queryString({})).toBe("");
  });
});

describe("errorMessage", () => {
  it("uses the server's detail, joins validation errors, and falls back to words", () => {
    expect(errorMessage(400, { detail: "row 3: 'quantity' is 'abc', expected a number" })).toBe(
      "row 3: 'quantity' is 'abc', expected a number",
    );
    expect(errorMessage(422, { detail: [{ loc: ["body", "email"], msg: "not a valid email" }] })).toBe(
      "email: not a valid email",
    );
    expect(errorMessage(503, "<html>")).toMatch(/server had a problem/);
    expect(errorMessage(0, null)).toMatch(/Cannot reach the server/);
  });
});

describe("request", () => {
  it("sends the bearer token and parses JSON", async () => {
    setTokens({ access: "A1", refresh: "R1" });
    const fetchImpl = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
      expect((init?.headers as Record<string, string>).Authorization).toBe("Bearer A1");
      return json(200, { ok: 1 });
    });
    await expect(request("/auth/me", { fetchImpl: fetchImpl as typeof fetch })).resolves.toEqual({ ok: 1 });
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });

  it("refreshes once on 401, stores the new pair and retries with it", async () => {
    setTokens({ access: "old", refresh: "R1" });
    const calls: string[] = [];
    const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      const auth = (init?.headers as Record<string, string> | undefined)?.Authorization ?? "";
      calls.push(`${String(url)} ${auth}`);
      if (url === "/auth/refresh") {
        expect(JSON.parse(String(init?.body))).toEqual({ refresh_token: "R1" });
        return json(200, { access_token: "new", refresh_token: "R2", token_type: "bearer" });
      }
      return auth === "Bearer new" ? json(200, { items: [], total: 0 }) : json(401, { detail: "expired" });
    });
    await expect(request("/jobs", { fetchImpl: fetchImpl as typeof fetch })).resolves.toEqual({ items: [], total: 0 });
    expect(calls).toEqual(["/jobs Bearer old", "/auth/refresh ", "/jobs Bearer new"]);
    expect(getTokens()).toEqual({ access: "new", refresh: "R2" });
  });

  it("signs out and hands over to sign-in when the refresh fails", async () => {
    setTokens({ access: "old", refresh: "bad" });
    const onFailure = vi.fn();
    setAuthFailureHandler(onFailure);
    const fetchImpl = vi.fn(async (url: RequestInfo | URL) =>
      url === "/auth/refresh" ? json(401, { detail: "refresh token revoked" }) : json(401, { detail: "expired" }),
    );
    const err = await request("/jobs", { fetchImpl: fetchImpl as typeof fetch }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect(fetchImpl).toHaveBeenCalledTimes(2);
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(getTokens()).toBeNull();
  });

  it("shares one refresh between concurrent 401s", async () => {
    setTokens({ access: "old", refresh: "R1" });
    let refreshes = 0;
    const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      if (url === "/auth/refresh") {
        refreshes += 1;
        await new Promise((r) => setTimeout(r, 5));
        return json(200, { access_token: "new", refresh_token: "R2", token_type: "bearer" });
      }
      const auth = (init?.headers as Record<string, string>).Authorization;
      return auth === "Bearer new" ? json(200, { url: String(url) }) : json(401, { detail: "expired" });
    });
    const f = fetchImpl as typeof fetch;
    const results = await Promise.all([request("/a", { fetchImpl: f }), request("/b", { fetchImpl: f })]);
    expect(results).toEqual([{ url: "/a" }, { url: "/b" }]);
    expect(refreshes).toBe(1);
  });

  it("does not try to refresh for unauthenticated calls such as login", async () => {
    const fetchImpl = vi.fn(async () => json(401, { detail: "Wrong email or password." }));
    const err = await request("/auth/login", { method: "POST", json: {}, auth: false, fetchImpl: fetchImpl as typeof fetch }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe("Wrong email or password.");
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });
});
