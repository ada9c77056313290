import { describe, expect, it } from "vitest";
import type { PriceSuggestion } from "../api/types";
import { elasticityInterval, elasticityWords, priceChange, roundToStep, sliderRange, topOpportunities } from "./pricing";

function sug(sku: string, profit: number | null): PriceSuggestion {
  return {
    store: "S1",
    sku,
    current_price: 10,
    suggested_price: 11,
    elasticity: -1.5,
    elasticity_ci: [-2, -1],
    expected_units_change: -3,
    expected_revenue_change: 5,
    expected_profit_change: profit,
    confidence: "high",
    explanation: "",
  };
}

describe("topOpportunities", () => {
  it("keeps positive profit changes, largest first, at most n", () => {
    const items = [sug("a", 5), sug("b", -2), sug("c", 50), sug("d", 0), sug("e", 12), sug("f", Number.NaN), sug("g", null)];
    expect(topOpportunities(items, 2).map((s) => s.sku)).toEqual(["c", "e"]);
    expect(topOpportunities(items).map((s) => s.sku)).toEqual(["c", "e", "a"]);
  });
});

describe("sliderRange", () => {
  it("spans 30% around the two prices with a 1-2-5 step", () => {
    expect(sliderRange(10, 12)).toEqual({ min: 7, max: 15.6, step: 0.1 });
    expect(sliderRange(2.5, 2.1)).toEqual({ min: 1.48, max: 3.26, step: 0.02 });
    expect(sliderRange(400, 380)).toEqual({ min: 266, max: 520, step: 2 });
  });

  it("never goes to zero or below", () => {
    expect(sliderRange(0.01, 0.01).min).toBeGreaterThan(0);
  });

  it("rounds without floating-point dust", () => {
    expect(roundToStep(2.3000000001, 0.1)).toBe(2.3);
    expect(roundToStep(0.07 * 3, 0.01)).toBe(0.21);
  });
});

describe("price words", () => {
  it("computes the change and reads the elasticity interval", () => {
    expect(priceChange({ current_price: 10, suggested_price: 11 })).toBeCloseTo(0.1);
    expect(priceChange({ current_price: 0, suggested_price: 11 })).toBeNull();
    expect(priceChange({ current_price: 10, suggested_price: null })).toBeNull();
    expect(elasticityWords(-1.5, [-2, -1])).toBe("Demand is price-sensitive");
    expect(elasticityWords(-0.4, [-0.9, 0.1])).toMatch(/includes zero/);
    expect(elasticityWords(null, null)).toMatch(/Not enough price changes/);
  });

  it("orders the interval and refuses a missing bound", () => {
    expect(elasticityInterval([-1, -2])).toEqual([-2, -1]);
    expect(elasticityInterval([-1, null])).toBeNull();
    expect(elasticityInterval(null)).toBeNull();
  });
});
