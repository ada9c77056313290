import { describe, expect, it } from "vitest";
import { currencyChoices } from "./currencies";

describe("currencyChoices", () => {
  it("offers the usual currencies by code with their names, sorted", () => {
    const choices = currencyChoices("USD");
    const codes = choices.map((c) => c.code);
    expect(codes).toEqual([...codes].sort());
    expect(choices.find((c) => c.code === "EUR")?.label).toBe("EUR — Euro");
    expect(choices.find((c) => c.code === "USD")?.label).toBe("USD — US Dollar");
    expect(new Set(codes).size).toBe(codes.length);
  });

  it("keeps the organisation's current code even when the browser does not list it", () => {
    expect(currencyChoices("VED").some((c) => c.code === "VED")).toBe(true);
  });
});
