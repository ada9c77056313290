// Pricing helpers: ranking opportunities and bounding the what-if slider.
import type { PriceSuggestion } from "../api/types";

/** The `n` suggestions with the largest positive expected profit change. */
export function topOpportunities(items: readonly PriceSuggestion[], n = 5): PriceSuggestion[] {
  return items
    .filter((s) => typeof s.expected_profit_change === "number" && Number.isFinite(s.expected_profit_change) && s.expected_profit_change > 0)
    .sort((a, b) => (b.expected_profit_change as number) - (a.expected_profit_change as number))
    .slice(0, n);
}

export interface SliderRange {
  min: number;
  max: number;
  step: number;
}

/** Round to the given step, avoiding floating-point dust like 2.3000000000000003. */
export function roundToStep(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return Number((Math.round(value / step) * step).toFixed(decimals));
}

/** Slider bounds: from 30% below to 30% above the lower/higher of current and suggested price. */
export function sliderRange(current: number, suggested: number): SliderRange {
  const low = Math.min(current, suggested);
  const high = Math.max(current, suggested);
  // A step of roughly 1/200 of the price, snapped to 1, 2 or 5 x 10^k so prices look like prices.
  const raw = Math.max(high, 0.01) / 200;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? magnitude * 10;
  return {
    min: Math.max(step, roundToStep(low * 0.7, step)),
    max: roundToStep(high * 1.3, step),
    step,
  };
}

/** Price change from current to suggested as a fraction (0.05 = +5%); null when either is unknown. */
export function priceChange(s: Pick<PriceSuggestion, "current_price" | "suggested_price">): number | null {
  const { current_price: current, suggested_price: suggested } = s;
  if (current === null || suggested === null || !(current > 0)) return null;
  return suggested / current - 1;
}

/** The elasticity interval as [low, high], or null when the API gave none. */
export function elasticityInterval(ci: readonly (number | null)[] | null | undefined): [number, number] | null {
  const [a, b] = ci ?? [];
  if (typeof a !== "number" || typeof b !== "number" || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  return [Math.min(a, b), Math.max(a, b)];
}

/** Plain-words reading of an elasticity estimate and its interval. */
export function elasticityWords(elasticity: number | null, ci: readonly (number | null)[] | null | undefined): string {
  if (elasticity === null || !Number.isFinite(elasticity)) return "Not enough price changes to measure how demand responds";
  const interval = elasticityInterval(ci);
  const sure = interval !== null && (interval[1] < 0 || interval[0] > 0);
  const kind =
    elasticity > 0 ? "unusual (demand rises with price)" : Math.abs(elasticity) > 1 ? "price-sensitive" : "not very price-sensitive";
  return sure ? `Demand is ${kind}` : `Demand is ${kind}; the interval includes zero, so treat with care`;
}
