import { describe, expect, it } from "vitest";
import { DRIVER_FAMILIES, buildDriverRows, driverOrder, driversAddUp, driversSum } from "./drivers";

const drivers = { base: 10, seasonality: 2.5, price: -3, promotion: 4, events: 0, substitutes: -0.5 };

describe("driversSum", () => {
  it("adds the six families, negatives included", () => {
    expect(driversSum(drivers)).toBeCloseTo(13, 12);
  });
});

describe("buildDriverRows", () => {
  it("sorts by day, keeps each family and the sum beside p50, and skips points without drivers", () => {
    const rows = buildDriverRows([
      { date: "2024-01-05T00:00:00", p10: 1, p50: 13, p90: 20, drivers },
      { date: "2024-01-04", p10: 1, p50: 7, p90: 9, drivers: { ...drivers, price: 0, promotion: 0, seasonality: -2.5 } },
      { date: "2024-01-06", p10: 1, p50: 8, p90: 9, drivers: null },
      { date: "2024-01-07", p10: 1, p50: 8, p90: 9 },
    ]);
    expect(rows.map((r) => r.date)).toEqual(["2024-01-04", "2024-01-05"]);
    expect(rows[1]).toEqual({ date: "2024-01-05", p50: 13, sum: 13, ...drivers });
    expect(rows[0]!.sum).toBeCloseTo(7, 12);
    expect(rows[0]!.seasonality).toBe(-2.5);
  });

  it("returns no rows when the forecast was served without drivers", () => {
    expect(buildDriverRows([{ date: "2024-01-04", p10: 1, p50: 2, p90: 3 }])).toEqual([]);
  });
});

describe("driversAddUp", () => {
  it("accepts sums equal to p50 within rounding and rejects a gap", () => {
    const rows = buildDriverRows([{ date: "2024-01-05", p10: 1, p50: 13.000000001, p90: 20, drivers }]);
    expect(driversAddUp(rows)).toBe(true);
    const off = buildDriverRows([{ date: "2024-01-05", p10: 1, p50: 14, p90: 20, drivers }]);
    expect(driversAddUp(off)).toBe(false);
  });

  it("holds for a closed day where p50 and every driver are zero", () => {
    const zero = { base: 0, seasonality: 0, price: 0, promotion: 0, events: 0, substitutes: 0 };
    expect(driversAddUp(buildDriverRows([{ date: "2024-01-05", p10: 0, p50: 0, p90: 0, drivers: zero }]))).toBe(true);
  });
});

describe("DRIVER_FAMILIES", () => {
  it("names six distinct families with a colour and a meaning each, matching the API's keys", () => {
    expect(DRIVER_FAMILIES.map((f) => f.key)).toEqual(["base", "seasonality", "price", "promotion", "events", "substitutes"]);
    expect(DRIVER_FAMILIES.every((f) => f.color && f.meaning)).toBe(true);
  });
});

describe("driverOrder", () => {
  it("puts the families in stacking order and other series (the p50 line) last", () => {
    const keys = ["p50", "substitutes", "events", "base", "seasonality", "price", "promotion"];
    expect([...keys].sort((a, b) => driverOrder(a) - driverOrder(b))).toEqual([
      "base", "seasonality", "price", "promotion", "events", "substitutes", "p50",
    ]);
  });
});
