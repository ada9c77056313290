// Stock-outs (issue #20): what they cost per item, and their periods drawn onto the forecast chart.
import type { ItemStockouts, SalesPoint, Stockout, StockoutSource } from "../api/types";
import { formatMoney, formatNumber, parseDay } from "./format";
import type { ChartRow } from "./series";

const DAY_MS = 86_400_000;

export interface ItemLoss {
  store: string;
  sku: string;
  periods: number;
  lostUnits: number;
  lostRevenue: number;
}

/** Periods summed per item, the costliest first (revenue, then units), at most `top` of them. */
export function lossByItem(periods: readonly Stockout[], top = 5): ItemLoss[] {
  const items = new Map<string, ItemLoss>();
  for (const p of periods) {
    const key = `${p.store}\u0000${p.sku}`;
    const item = items.get(key) ?? { store: p.store, sku: p.sku, periods: 0, lostUnits: 0, lostRevenue: 0 };
    item.periods += 1;
    item.lostUnits += p.lost_units;
    item.lostRevenue += p.lost_revenue;
    items.set(key, item);
  }
  return [...items.values()]
    .filter((i) => i.lostUnits > 0 || i.lostRevenue > 0)
    .sort((a, b) => b.lostRevenue - a.lostRevenue || b.lostUnits - a.lostUnits || a.sku.localeCompare(b.sku))
    .slice(0, top);
}

/** "YYYY-MM-DD" `days` days before the day `anchor` (a date or timestamp). */
export function daysBefore(anchor: string, days: number): string {
  return new Date(parseDay(anchor.slice(0, 10)).getTime() - days * DAY_MS).toISOString().slice(0, 10);
}

function addDays(day: string, days: number): string {
  return new Date(parseDay(day).getTime() + days * DAY_MS).toISOString().slice(0, 10);
}

function dayIndex(day: string): number {
  return Math.round(parseDay(day.slice(0, 10)).getTime() / DAY_MS);
}

/** Days shared by [aStart, aEnd] and [bStart, bEnd] (inclusive day indexes). */
function overlap(aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  return Math.max(0, Math.min(aEnd, bEnd) - Math.max(aStart, bStart) + 1);
}

/** Where a chart row's bucket starts and ends: a day, or the Monday-based week the sales API sums. */
function rowSpan(date: string, freq: "D" | "W"): [number, number] {
  const start = dayIndex(date);
  return [start, freq === "W" ? start + 6 : start];
}

/** The stock-out shown on a chart row (the most likely one when periods overlap). */
export interface RowStockout {
  source: StockoutSource;
  probability: number | null;
}

export interface StockoutRow extends ChartRow {
  /** Units customers wanted: sales plus the lost units spread over the period's rows. */
  demand?: number;
  /** 1 on rows inside a censored period: drawn as a shaded bar on a hidden 0..1 axis. */
  censored?: number;
  stockout?: RowStockout;
}

/**
 * Sales points with a zero added for every bucket a censored period covers that has none (nothing
 * was sold then), from the first sales point up to `until` (the day before the forecast starts).
 */
export function withStockoutGaps(
  history: readonly SalesPoint[],
  periods: readonly Stockout[],
  freq: "D" | "W",
  until?: string | null,
): SalesPoint[] {
  const sorted = [...history].sort((a, b) => a.date.localeCompare(b.date));
  if (sorted.length === 0 || periods.length === 0) return sorted;
  const origin = sorted[0]!.date.slice(0, 10);
  const first = dayIndex(origin);
  const last = until ? dayIndex(until) : dayIndex(sorted[sorted.length - 1]!.date);
  const byDate = new Map(sorted.map((p) => [p.date.slice(0, 10), p]));
  const step = freq === "W" ? 7 : 1;
  for (const period of periods) {
    const start = Math.max(dayIndex(period.start), first);
    const end = Math.min(dayIndex(period.end), last);
    // Buckets line up with the first point (a day, or a Monday for weeks: the sales API's buckets).
    for (let bucket = first + Math.floor((start - first) / step) * step; bucket <= end; bucket += step) {
      const date = addDays(origin, bucket - first);
      if (!byDate.has(date)) byDate.set(date, { date, units: 0, revenue: 0 });
    }
  }
  return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
}

/**
 * Mark the history rows inside each censored period and draw estimated demand there: the period's
 * lost units are spread over its rows in proportion to the days each row shares with it, so the
 * demand line sums to sales + lost units over the period. The rows either side of a period carry
 * demand = sales, so the demand line leaves the sales line and rejoins it.
 */
export function overlayStockouts(rows: readonly ChartRow[], periods: readonly Stockout[], freq: "D" | "W"): StockoutRow[] {
  const out: StockoutRow[] = rows.map((r) => ({ ...r }));
  const history = out.filter((r) => r.actual !== undefined);
  for (const period of periods) {
    const pStart = dayIndex(period.start);
    const pEnd = dayIndex(period.end);
    const length = pEnd - pStart + 1;
    if (length <= 0) continue;
    const touched = history.filter((r) => {
      const [s, e] = rowSpan(r.date, freq);
      return overlap(s, e, pStart, pEnd) > 0;
    });
    for (const row of touched) {
      const [s, e] = rowSpan(row.date, freq);
      const share = overlap(s, e, pStart, pEnd) / length;
      row.demand = (row.demand ?? (row.actual as number)) + Math.max(0, period.lost_units) * share;
      row.censored = 1;
      const likelier = (period.probability ?? 1) >= (row.stockout?.probability ?? 1);
      if (!row.stockout || likelier) row.stockout = { source: period.source, probability: period.probability };
    }
  }
  history.forEach((row, i) => {
    if (row.censored) return;
    const neighbourCensored = history[i - 1]?.censored === 1 || history[i + 1]?.censored === 1;
    if (neighbourCensored) row.demand = row.actual;
  });
  return out;
}

/** The words for a period's origin: a stock file said so, or the sales pattern made it likely. */
export function stockoutSourceText(source: StockoutSource, probability: number | null): string {
  if (source === "stock") return "out of stock (stock file)";
  const pct = probability === null || !Number.isFinite(probability) ? "" : ` (${Math.round(probability * 100)}% likely)`;
  return `likely out of stock${pct}`;
}

/** An inventory item's stock-outs in a table cell: "3× · $120.00", "none", or a dash when not counted. */
export function itemStockoutText(stockouts: ItemStockouts | null | undefined): string {
  if (!stockouts) return "—";
  if (stockouts.count <= 0) return "none";
  return `${formatNumber(stockouts.count)}× · ${formatMoney(stockouts.lost_revenue)}`;
}

/** The same in a sentence for the item's details. */
export function itemStockoutSentence(stockouts: ItemStockouts | null | undefined): string {
  if (!stockouts) return "not counted yet";
  if (stockouts.count <= 0) return "never ran out in the last year";
  const times = stockouts.count === 1 ? "once" : `${formatNumber(stockouts.count)} times`;
  return `ran out ${times} in the last year: about ${formatNumber(stockouts.lost_units)} units, ${formatMoney(stockouts.lost_revenue)} of sales lost`;
}
