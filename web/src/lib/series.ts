// Shapes sales history and forecast quantiles into chart rows and headline totals.
import type { ForecastPoint, SalesPoint } from "../api/types";
import { parseDay } from "./format";

export interface ChartRow {
  date: string;
  actual?: number;
  revenue?: number;
  p50?: number;
  /** [p10, p90]: Recharts draws an Area between the two values. */
  band?: [number, number];
}

const DAY_MS = 86_400_000;

function dayKey(value: string): string {
  return value.slice(0, 10);
}

/** Merge history (units) and forecast quantiles into date-sorted rows, keeping the last `historyPoints`. */
export function buildForecastChart(
  history: SalesPoint[],
  forecast: ForecastPoint[],
  historyPoints = 120,
): ChartRow[] {
  const rows = new Map<string, ChartRow>();
  const sortedHistory = [...history].sort((a, b) => a.date.localeCompare(b.date));
  for (const point of sortedHistory.slice(-historyPoints)) {
    const date = dayKey(point.date);
    rows.set(date, { date, actual: point.units, revenue: point.revenue });
  }
  for (const point of forecast) {
    const date = dayKey(point.date);
    const row = rows.get(date) ?? { date };
    row.p50 = point.p50;
    row.band = [Math.min(point.p10, point.p90), Math.max(point.p10, point.p90)];
    rows.set(date, row);
  }
  const merged = [...rows.values()].sort((a, b) => a.date.localeCompare(b.date));
  // Join the forecast to the last actual so the line does not start from nowhere.
  const lastActual = [...merged].reverse().find((r) => r.actual !== undefined && r.p50 === undefined);
  if (lastActual && forecast.length > 0) {
    lastActual.p50 = lastActual.actual;
    lastActual.band = [lastActual.actual as number, lastActual.actual as number];
  }
  return merged;
}

export interface ForecastTotal {
  p10: number;
  p50: number;
  p90: number;
  start: string | null;
  end: string | null;
  points: number;
}

/**
 * Sum the quantiles over the first `days` days of the forecast.
 * Summing per-period p10/p90 gives a band wider than the true 80% interval of the total
 * (errors partly cancel over time), so the UI labels it as a conservative range.
 */
export function forecastTotal(points: ForecastPoint[], days = 28): ForecastTotal {
  const sorted = [...points].sort((a, b) => a.date.localeCompare(b.date));
  const first = sorted[0];
  if (!first) return { p10: 0, p50: 0, p90: 0, start: null, end: null, points: 0 };
  const cutoff = parseDay(dayKey(first.date)).getTime() + days * DAY_MS;
  const window = sorted.filter((p) => parseDay(dayKey(p.date)).getTime() < cutoff);
  const sum = (key: "p10" | "p50" | "p90") => window.reduce((acc, p) => acc + p[key], 0);
  return {
    p10: sum("p10"),
    p50: sum("p50"),
    p90: sum("p90"),
    start: dayKey(first.date),
    end: dayKey(window[window.length - 1]!.date),
    points: window.length,
  };
}

export interface SalesTotals {
  units: number;
  revenue: number;
  days: number;
  start: string | null;
  end: string | null;
}

/** Units and revenue summed over the history points. */
export function salesTotals(points: SalesPoint[]): SalesTotals {
  if (points.length === 0) return { units: 0, revenue: 0, days: 0, start: null, end: null };
  const sorted = [...points].sort((a, b) => a.date.localeCompare(b.date));
  return {
    units: sorted.reduce((acc, p) => acc + p.units, 0),
    revenue: sorted.reduce((acc, p) => acc + p.revenue, 0),
    days: sorted.length,
    start: dayKey(sorted[0]!.date),
    end: dayKey(sorted[sorted.length - 1]!.date),
  };
}

/** Relative change between the last `window` points and the `window` before them (null when too short). */
export function periodChange(points: SalesPoint[], key: "units" | "revenue", window: number): number | null {
  const sorted = [...points].sort((a, b) => a.date.localeCompare(b.date));
  if (sorted.length < window * 2) return null;
  const recent = sorted.slice(-window).reduce((acc, p) => acc + p[key], 0);
  const before = sorted.slice(-window * 2, -window).reduce((acc, p) => acc + p[key], 0);
  return before > 0 ? recent / before - 1 : null;
}

/** "D" or "W" from a frequency label, or from the spacing of the points when there is no label. */
export function inferFrequency(points: { date: string }[], label?: string | null): "D" | "W" {
  if (label) return label.trim().toUpperCase().startsWith("W") ? "W" : "D";
  if (points.length < 2) return "D";
  const sorted = [...points].sort((a, b) => a.date.localeCompare(b.date));
  const gap = parseDay(dayKey(sorted[1]!.date)).getTime() - parseDay(dayKey(sorted[0]!.date)).getTime();
  return gap >= 6 * DAY_MS ? "W" : "D";
}
