// Shapes a forecast's drivers (units of p50 per family) into stacked chart rows with their sums.
import type { ForecastPoint } from "../api/types";

export type DriverKey = "base" | "seasonality" | "price" | "promotion" | "events" | "substitutes";

export interface DriverFamily {
  key: DriverKey;
  label: string;
  color: string;
  meaning: string;
}

/** The six families in stacking order, with what each one means to a retailer. */
export const DRIVER_FAMILIES: DriverFamily[] = [
  { key: "base", label: "Base", color: "#64748b", meaning: "the level the item sells at a regular price, without promotions, holidays or seasonal swings" },
  { key: "seasonality", label: "Seasonality", color: "#0891b2", meaning: "day-of-week and time-of-year patterns" },
  { key: "price", label: "Price", color: "#e11d48", meaning: "the planned price against the regular price (a price rise pulls demand down)" },
  { key: "promotion", label: "Promotion", color: "#16a34a", meaning: "promotions planned for the item itself" },
  { key: "events", label: "Events", color: "#d97706", meaning: "holidays and other calendar events" },
  { key: "substitutes", label: "Substitutes", color: "#7c3aed", meaning: "prices and promotions of the other items in the same store and category" },
];

export type DriverRow = { date: string; p50: number; sum: number } & Record<DriverKey, number>;

/** Sum of the six drivers of one point. */
export function driversSum(drivers: Record<DriverKey, number>): number {
  return DRIVER_FAMILIES.reduce((acc, f) => acc + drivers[f.key], 0);
}

/** One date-sorted row per point that carries drivers; points without drivers are left out. */
export function buildDriverRows(points: ForecastPoint[]): DriverRow[] {
  const rows: DriverRow[] = [];
  for (const point of points) {
    const drivers = point.drivers;
    if (!drivers) continue;
    const row = { date: point.date.slice(0, 10), p50: point.p50, sum: driversSum(drivers) } as DriverRow;
    for (const family of DRIVER_FAMILIES) row[family.key] = drivers[family.key];
    rows.push(row);
  }
  return rows.sort((a, b) => a.date.localeCompare(b.date));
}

/** Whether every row's drivers add up to its p50 within `tolerance` (relative, at least absolute for tiny p50). */
export function driversAddUp(rows: DriverRow[], tolerance = 1e-6): boolean {
  return rows.every((r) => Math.abs(r.sum - r.p50) <= tolerance * Math.max(1, Math.abs(r.p50)));
}

/** Where a chart series goes in the legend and tooltip: the families in stacking order, anything else after. */
export function driverOrder(dataKey: unknown): number {
  const index = DRIVER_FAMILIES.findIndex((f) => f.key === dataKey);
  return index === -1 ? DRIVER_FAMILIES.length : index;
}
