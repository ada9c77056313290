// Customer-segment helpers: mix shares, the migration matrix and colours.
import type { Segment, SegmentMigration } from "../api/types";

const PALETTE = ["#4f46e5", "#0891b2", "#059669", "#d97706", "#dc2626", "#7c3aed", "#db2777", "#65a30d", "#475569"];

/** Stable colour for a segment given the ordered segment names. */
export function segmentColor(name: string, names: readonly string[]): string {
  const index = names.indexOf(name);
  return PALETTE[(index >= 0 ? index : names.length) % PALETTE.length]!;
}

export interface MixRow {
  name: string;
  customers: number;
  customerShare: number;
  revenueShare: number;
}

/** Share of customers and of revenue per segment, largest segment first. */
export function segmentMix(segments: readonly Segment[]): MixRow[] {
  const total = segments.reduce((acc, s) => acc + s.customers, 0);
  return [...segments]
    .sort((a, b) => b.customers - a.customers)
    .map((s) => ({
      name: s.name,
      customers: s.customers,
      customerShare: total > 0 ? s.customers / total : 0,
      revenueShare: s.revenue_share,
    }));
}

export interface MigrationMatrix {
  segments: string[];
  counts: Record<string, Record<string, number>>;
  moved: number;
  stayed: number;
}

/** From->to customer counts as a square matrix, with how many customers moved or stayed. */
export function migrationMatrix(migration: SegmentMigration, order: readonly string[] = []): MigrationMatrix {
  const names = new Set<string>(order);
  for (const item of migration.items) {
    names.add(item.from_segment);
    names.add(item.to_segment);
  }
  const segments = [...names];
  const counts: Record<string, Record<string, number>> = {};
  for (const from of segments) counts[from] = Object.fromEntries(segments.map((to) => [to, 0]));
  let moved = 0;
  let stayed = 0;
  for (const item of migration.items) {
    counts[item.from_segment]![item.to_segment]! += item.customers;
    if (item.from_segment === item.to_segment) stayed += item.customers;
    else moved += item.customers;
  }
  return { segments, counts, moved, stayed };
}

/** The largest flows between different segments, biggest first. */
export function topMoves(migration: SegmentMigration, n = 5) {
  return migration.items
    .filter((i) => i.from_segment !== i.to_segment && i.customers > 0)
    .sort((a, b) => b.customers - a.customers)
    .slice(0, n);
}
