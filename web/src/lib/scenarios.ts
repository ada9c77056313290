// Plan page helpers: turning the form into a scenario change, and scenario points into chart rows.
import type { ScenarioChange, ScenarioPoint } from "../api/types";

export type PriceMode = "none" | "price" | "pct";

export interface ChangeForm {
  store: string;
  sku: string;
  category: string;
  start: string;
  end: string;
  priceMode: PriceMode;
  priceValue: string;
  promotion: boolean;
}

/** The API change for a form, or a message saying what is missing. */
export function buildChange(form: ChangeForm): ScenarioChange | string {
  if (!form.start || !form.end) return "Choose the first and the last day of the change.";
  if (form.end < form.start) return "The last day is before the first day.";
  const change: ScenarioChange = { start: form.start, end: form.end };
  if (form.store.trim()) change.store = form.store.trim();
  if (form.sku.trim()) change.sku = form.sku.trim();
  if (form.category.trim()) change.category = form.category.trim();
  if (form.priceMode !== "none") {
    const value = Number(form.priceValue);
    if (form.priceValue.trim() === "" || !Number.isFinite(value)) return "Enter a number for the price.";
    if (form.priceMode === "price") {
      if (value < 0) return "A price cannot be negative.";
      change.price = value;
    } else {
      change.price_change_pct = value;
    }
  }
  if (form.promotion) change.promotion = 1;
  if (change.price === undefined && change.price_change_pct === undefined && change.promotion === undefined) {
    return "Set a price, a price change or a promotion.";
  }
  return change;
}

/** One line describing a change ("SKU001 at S01: price 2.50, promotion, 2024-01-01 – 2024-01-14"). */
export function describeChange(change: ScenarioChange): string {
  const who = [change.sku, change.category && `category ${change.category}`].filter(Boolean).join(", ") || "every item";
  const where = change.store ? ` at ${change.store}` : "";
  const what: string[] = [];
  if (change.price !== undefined && change.price !== null) what.push(`price ${change.price.toFixed(2)}`);
  if (change.price_change_pct !== undefined && change.price_change_pct !== null) {
    what.push(`price ${change.price_change_pct > 0 ? "+" : ""}${change.price_change_pct}%`);
  }
  if (change.promotion === 1) what.push("promotion");
  if (change.promotion === 0) what.push("no promotion");
  return `${who}${where}: ${what.join(", ")}, ${change.start} – ${change.end}`;
}

export interface ScenarioChartRow {
  date: string;
  p50: number;
  baseline: number;
  /** [p10, p90] of the scenario: Recharts draws an Area between the two values. */
  band: [number, number];
}

/** Chart rows of one item: the scenario's band and median against the baseline's median. */
export function scenarioChartRows(points: ScenarioPoint[]): ScenarioChartRow[] {
  return [...points]
    .sort((a, b) => a.date.localeCompare(b.date))
    .map((p) => ({ date: p.date, p50: p.p50, baseline: p.baseline_p50, band: [Math.min(p.p10, p.p90), Math.max(p.p10, p.p90)] }));
}

/** Relative change from baseline to scenario (null when the baseline is zero or missing). */
export function relativeChange(baseline: number | null | undefined, scenario: number | null | undefined): number | null {
  if (baseline === null || baseline === undefined || scenario === null || scenario === undefined || baseline === 0) return null;
  return (scenario - baseline) / Math.abs(baseline);
}

/** Whether a scenario is still being computed. */
export function isComputing(status: string): boolean {
  return status === "queued" || status === "running";
}
