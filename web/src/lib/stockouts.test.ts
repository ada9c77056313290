import { describe, expect, it } from "vitest";
import type { Stockout } from "../api/types";
import { buildForecastChart } from "./series";
import { daysBefore, itemStockoutSentence, itemStockoutText, lossByItem, overlayStockouts, stockoutSourceText, withStockoutGaps } from "./stockouts";

function period(p: Partial<Stockout> & Pick<Stockout, "start" | "end">): Stockout {
  return {
    store: "S1",
    sku: "A",
    source: "stock",
    probability: 1,
    sales: 0,
    estimated_demand: 0,
    lost_units: 0,
    lost_revenue: 0,
    ...p,
  };
}

describe("lossByItem", () => {
  it("sums periods per item and ranks by lost revenue, then units", () => {
    const top = lossByItem([
      period({ start: "2024-01-01", end: "2024-01-02", lost_units: 4, lost_revenue: 40 }),
      period({ start: "2024-02-01", end: "2024-02-01", lost_units: 1, lost_revenue: 10 }),
      period({ sku: "B", start: "2024-01-01", end: "2024-01-03", lost_units: 9, lost_revenue: 45 }),
      period({ sku: "C", store: "S2", start: "2024-01-01", end: "2024-01-01", lost_units: 3, lost_revenue: 45 }),
      period({ sku: "D", start: "2024-01-01", end: "2024-01-01" }),
    ]);
    expect(top).toEqual([
      { store: "S1", sku: "A", periods: 2, lostUnits: 5, lostRevenue: 50 },
      { store: "S1", sku: "B", periods: 1, lostUnits: 9, lostRevenue: 45 },
      { store: "S2", sku: "C", periods: 1, lostUnits: 3, lostRevenue: 45 },
    ]);
    expect(lossByItem([period({ start: "2024-01-01", end: "2024-01-01", lost_units: 1, lost_revenue: 1 })], 0)).toEqual([]);
  });
});

describe("daysBefore", () => {
  it("counts back calendar days from a day or a timestamp", () => {
    expect(daysBefore("2024-03-01", 1)).toBe("2024-02-29");
    expect(daysBefore("2024-03-31T00:00:00", 89)).toBe("2024-01-02");
  });
});

describe("withStockoutGaps", () => {
  const history = [
    { date: "2024-01-01", units: 5, revenue: 50 },
    { date: "2024-01-05", units: 6, revenue: 60 },
  ];

  it("adds zero-sale days inside a period, up to the day before the forecast", () => {
    const filled = withStockoutGaps(history, [period({ start: "2024-01-02", end: "2024-01-03" }), period({ start: "2024-01-06", end: "2024-01-09" })], "D", "2024-01-07");
    expect(filled.map((p) => [p.date, p.units])).toEqual([
      ["2024-01-01", 5],
      ["2024-01-02", 0],
      ["2024-01-03", 0],
      ["2024-01-05", 6],
      ["2024-01-06", 0],
      ["2024-01-07", 0],
    ]);
  });

  it("adds missing Monday buckets for weekly history and leaves history alone without periods", () => {
    const weekly = [
      { date: "2024-01-01", units: 5, revenue: 50 },
      { date: "2024-01-22", units: 6, revenue: 60 },
    ];
    const filled = withStockoutGaps(weekly, [period({ start: "2024-01-10", end: "2024-01-16" })], "W");
    expect(filled.map((p) => p.date)).toEqual(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"]);
    expect(withStockoutGaps(weekly, [], "W")).toEqual(weekly);
  });
});

describe("overlayStockouts", () => {
  const history = [1, 2, 3, 4, 5].map((d) => ({ date: `2024-01-0${d}`, units: 10, revenue: 100 }));

  it("shades the period's rows and spreads its lost units over them; the neighbours join the lines", () => {
    const rows = overlayStockouts(
      buildForecastChart(history, []),
      [period({ start: "2024-01-02", end: "2024-01-03", lost_units: 6, source: "inferred", probability: 0.97 })],
      "D",
    );
    expect(rows.map((r) => r.censored ?? 0)).toEqual([0, 1, 1, 0, 0]);
    expect(rows.map((r) => r.demand)).toEqual([10, 13, 13, 10, undefined]);
    expect(rows[1]!.stockout).toEqual({ source: "inferred", probability: 0.97 });
    // Over the period, demand = sales + lost units.
    expect(rows[1]!.demand! + rows[2]!.demand!).toBe(20 + 6);
  });

  it("weighs weekly rows by the days they share with the period and leaves forecast rows alone", () => {
    const weekly = [
      { date: "2024-01-01", units: 10, revenue: 0 },
      { date: "2024-01-08", units: 4, revenue: 0 },
    ];
    const rows = overlayStockouts(
      buildForecastChart(weekly, [{ date: "2024-01-15", p10: 1, p50: 2, p90: 3 }]),
      [period({ start: "2024-01-06", end: "2024-01-12", lost_units: 7 })],
      "W",
    );
    expect(rows.map((r) => r.demand)).toEqual([12, 9, undefined]);
    expect(rows[2]!.censored).toBeUndefined();
  });
});

describe("stock-out words", () => {
  it("names the source and the probability, and an item's count and cost", () => {
    expect(stockoutSourceText("stock", null)).toBe("out of stock (stock file)");
    expect(stockoutSourceText("inferred", 0.984)).toBe("likely out of stock (98% likely)");
    expect(itemStockoutText(undefined)).toBe("—");
    expect(itemStockoutText({ count: 0, lost_units: 0, lost_revenue: 0 })).toBe("none");
    expect(itemStockoutText({ count: 3, lost_units: 12, lost_revenue: 120 })).toBe("3× · $120.00");
    expect(itemStockoutSentence({ count: 1, lost_units: 4.4, lost_revenue: 9.5 })).toBe(
      "ran out once in the last year: about 4 units, $9.50 of sales lost",
    );
  });
});
