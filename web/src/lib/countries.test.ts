import { describe, expect, it } from "vitest";
import { countryChoices, countryLabel, subdivisionsOf } from "./countries";

describe("countries", () => {
  it("names the holidays package's countries and keeps an unknown current code", () => {
    const choices = countryChoices("ZZ");
    expect(choices.find((c) => c.code === "DE")?.label).toBe("Germany (DE)");
    expect(choices.some((c) => c.code === "ZZ")).toBe(true);
    expect(choices.every((c) => /^[A-Z]{2}$/.test(c.code))).toBe(true);
    expect(countryLabel(null)).toBe("—");
  });

  it("lists a country's subdivisions", () => {
    expect(subdivisionsOf("US")).toContain("CA");
    expect(subdivisionsOf("LU")).toEqual([]);
    expect(subdivisionsOf(null)).toEqual([]);
  });
});
