import { describe, expect, it } from "vitest";
import type { Segment } from "../api/types";
import { migrationMatrix, segmentColor, segmentMix, topMoves } from "./segments";

function seg(name: string, customers: number, revenue_share: number): Segment {
  return {
    name,
    customers,
    revenue_share,
    recency_days: 10,
    frequency: 3,
    monetary: 100,
    clv_mean: null,
    p_alive_mean: null,
    description: "",
    action: "",
  };
}

describe("segments", () => {
  it("computes the customer mix, largest first", () => {
    const mix = segmentMix([seg("Lost", 10, 0.05), seg("Champions", 30, 0.6), seg("New", 60, 0.35)]);
    expect(mix.map((m) => m.name)).toEqual(["New", "Champions", "Lost"]);
    expect(mix.map((m) => m.customerShare)).toEqual([0.6, 0.3, 0.1]);
    expect(mix[1]!.revenueShare).toBe(0.6);
    expect(segmentMix([seg("Empty", 0, 0)])[0]!.customerShare).toBe(0);
  });

  it("builds a square migration matrix and counts moves", () => {
    const migration = {
      items: [
        { from_segment: "New", to_segment: "Champions", customers: 4 },
        { from_segment: "Champions", to_segment: "Champions", customers: 20 },
        { from_segment: "Champions", to_segment: "Lost", customers: 2 },
      ],
      previous_run_at: "2024-01-01T00:00:00Z",
      current_run_at: "2024-02-01T00:00:00Z",
    };
    const m = migrationMatrix(migration, ["Champions", "New"]);
    expect(m.segments).toEqual(["Champions", "New", "Lost"]);
    expect(m.counts.New!.Champions).toBe(4);
    expect(m.counts.Lost!.New).toBe(0);
    expect(m.moved).toBe(6);
    expect(m.stayed).toBe(20);
    expect(topMoves(migration).map((x) => x.customers)).toEqual([4, 2]);
  });

  it("gives each segment a stable colour", () => {
    const names = ["a", "b"];
    expect(segmentColor("a", names)).toBe(segmentColor("a", ["a", "c"]));
    expect(segmentColor("a", names)).not.toBe(segmentColor("b", names));
  });
});
