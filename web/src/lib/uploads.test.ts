import { describe, expect, it } from "vitest";
import { isRejected, uploadKind } from "./uploads";

describe("uploads", () => {
  it("picks the kind from ?kind=, sales otherwise", () => {
    expect(uploadKind("stock").key).toBe("stock");
    expect(uploadKind("events").columns).toMatch(/^name, start, end/);
    expect(uploadKind("nonsense").key).toBe("sales");
    expect(uploadKind(null).key).toBe("sales");
  });

  it("recognises a 422 body that lists rejected rows", () => {
    expect(isRejected({ detail: "x", errors: [] })).toBe(true);
    expect(isRejected({ detail: "x" })).toBe(false);
    expect(isRejected(null)).toBe(false);
  });
});
