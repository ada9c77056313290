// Sorting and filtering for the data tables (inventory, pricing, customers).
import type { InventoryRecommendation } from "../api/types";

export type SortDir = "asc" | "desc";

// Unknown urgency words sort after the known ones rather than being lost.
const URGENCY_RANK: Record<string, number> = {
  critical: 0,
  urgent: 0,
  high: 1,
  medium: 2,
  low: 3,
  none: 4,
  ok: 4,
};

/** Rank of an urgency word: 0 is the most urgent. */
export function urgencyRank(urgency: string | null | undefined): number {
  return URGENCY_RANK[(urgency ?? "").toLowerCase()] ?? 5;
}

type Value = string | number | boolean | null | undefined;

function compareValues(a: Value, b: Value): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** Sort a copy of `rows` by a column; missing values always go last whatever the direction. */
export function sortRows<T>(rows: readonly T[], key: keyof T, dir: SortDir, rank?: (row: T) => number): T[] {
  const sign = dir === "asc" ? 1 : -1;
  return [...rows].sort((ra, rb) => {
    const a = rank ? rank(ra) : (ra[key] as Value);
    const b = rank ? rank(rb) : (rb[key] as Value);
    const aMissing = a === null || a === undefined || (typeof a === "number" && Number.isNaN(a));
    const bMissing = b === null || b === undefined || (typeof b === "number" && Number.isNaN(b));
    if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
    return sign * compareValues(a, b);
  });
}

/** Next sort state when a header is clicked: same column flips, a new column starts at `firstDir`. */
export function nextSort<K>(current: { key: K; dir: SortDir }, key: K, firstDir: SortDir = "desc") {
  if (current.key === key) return { key, dir: current.dir === "asc" ? "desc" : "asc" } as const;
  return { key, dir: firstDir } as const;
}

export interface InventoryFilter {
  search: string;
  urgency: string;
  minRisk: number;
}

/** Rows whose store/sku/supplier contains the search text, of the chosen urgency, at or above the risk. */
export function filterInventory(rows: readonly InventoryRecommendation[], filter: InventoryFilter) {
  const needle = filter.search.trim().toLowerCase();
  return rows.filter((row) => {
    if (filter.urgency && row.urgency.toLowerCase() !== filter.urgency.toLowerCase()) return false;
    if (row.stockout_risk < filter.minRisk) return false;
    if (!needle) return true;
    return [row.store, row.sku, row.supplier ?? ""].some((v) => v.toLowerCase().includes(needle));
  });
}

/** Distinct urgency words present, most urgent first. */
export function urgencyOptions(rows: readonly InventoryRecommendation[]): string[] {
  const set = new Set(rows.map((r) => r.urgency));
  return [...set].sort((a, b) => urgencyRank(a) - urgencyRank(b) || a.localeCompare(b));
}
