// Sorting and filtering for the data tables (inventory, pricing, customers).
import type { InventoryRecommendation } from "../api/types";

export type SortDir = "asc" | "desc";

type Value = string | number | boolean | null | undefined;

function compareValues(a: Value, b: Value): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

function isMissing(v: Value): boolean {
  return v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));
}

/** Sort a copy of `rows` by a column; missing values always go last whatever the direction. */
export function sortRows<T>(rows: readonly T[], key: keyof T, dir: SortDir): T[] {
  const sign = dir === "asc" ? 1 : -1;
  return [...rows].sort((ra, rb) => {
    const a = ra[key] as Value;
    const b = rb[key] as Value;
    if (isMissing(a) || isMissing(b)) return isMissing(a) === isMissing(b) ? 0 : isMissing(a) ? 1 : -1;
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
  toOrderOnly: boolean;
  minRisk: number;
}

/** Rows whose store/sku/supplier contains the search text, with an order due if asked, at or above the risk. */
export function filterInventory(rows: readonly InventoryRecommendation[], filter: InventoryFilter) {
  const needle = filter.search.trim().toLowerCase();
  return rows.filter((row) => {
    if (filter.toOrderOnly && !((row.order_quantity ?? 0) > 0)) return false;
    // An unknown risk only passes the "any risk" filter.
    if (filter.minRisk > 0 && !((row.stockout_risk ?? -1) >= filter.minRisk)) return false;
    if (!needle) return true;
    return [row.store, row.sku, row.supplier ?? ""].some((v) => v.toLowerCase().includes(needle));
  });
}

export type RiskLevel = "high" | "medium" | "low" | "unknown";

/** Stock-out risk in words: high from 50%, medium from 20%. */
export function riskLevel(risk: number | null | undefined): RiskLevel {
  if (typeof risk !== "number" || !Number.isFinite(risk)) return "unknown";
  return risk >= 0.5 ? "high" : risk >= 0.2 ? "medium" : "low";
}

/** Where an item's lead time + review demand came from, in words ("its own sales history (lumpy demand)"). */
export function demandSourceText(source: string | null | undefined, demandClass: string | null | undefined): string {
  const kind = demandClass ? ` (${demandClass} demand)` : "";
  if (source === "history") return `its own sales history${kind}`;
  if (source === "forecast") return `the forecast${kind}`;
  return "—";
}

/** Whether the item's stock on hand is known: only then does it have an order priority. */
export function hasStockLevel(row: Pick<InventoryRecommendation, "on_hand">): boolean {
  return row.on_hand !== null && row.on_hand !== undefined;
}

/**
 * The item's order priority ("#3"), or a dash when its stock on hand is unknown: without it the
 * engine cannot tell which item runs out first, and every such item would read "#1".
 */
export function priorityLabel(row: Pick<InventoryRecommendation, "on_hand" | "urgency">): string {
  return hasStockLevel(row) && row.urgency !== null && row.urgency !== undefined ? `#${row.urgency}` : "—";
}
