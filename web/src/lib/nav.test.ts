import { describe, expect, it } from "vitest";
import { safeNext, signInUrl } from "./nav";

describe("safeNext", () => {
  it("keeps dashboard paths and refuses anything that leaves the site", () => {
    expect(safeNext("/app/inventory?store=S1")).toBe("/app/inventory?store=S1");
    expect(safeNext("https://evil.example/app/")).toBe("/app/overview");
    expect(safeNext("//evil.example/app/x")).toBe("/app/overview");
    expect(safeNext("/\\evil.example")).toBe("/app/overview");
    expect(safeNext("/app/signin")).toBe("/app/overview");
    expect(safeNext(null)).toBe("/app/overview");
  });

  it("builds a sign-in URL that returns to the page", () => {
    expect(signInUrl("/app/pricing?sku=A")).toBe("/app/signin?next=%2Fapp%2Fpricing%3Fsku%3DA");
    expect(signInUrl("/app/overview")).toBe("/app/signin");
  });
});
