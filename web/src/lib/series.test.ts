import { describe, expect, it } from "vitest";
import { buildForecastChart, forecastTotal, inferFrequency, periodChange, salesTotals } from "./series";

const history = [
  { date: "2024-01-03", units: 30, revenue: 300 },
  { date: "2024-01-01", units: 10, revenue: 100 },
  { date: "2024-01-02", units: 20, revenue: 200 },
];

function daily(start: string, n: number, p50: number) {
  const t0 = Date.parse(`${start}T00:00:00Z`);
  return Array.from({ length: n }, (_, i) => ({
    date: new Date(t0 + i * 86_400_000).toISOString().slice(0, 10),
    p10: p50 - 2,
    p50,
    p90: p50 + 3,
  }));
}

describe("buildForecastChart", () => {
  it("sorts history, appends forecast rows with a p10-p90 band and bridges at the last actual", () => {
    const rows = buildForecastChart(history, daily("2024-01-04", 2, 5));
    expect(rows.map((r) => r.date)).toEqual(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]);
    expect(rows[0]).toEqual({ date: "2024-01-01", actual: 10, revenue: 100 });
    // The last actual carries the forecast line so it starts where history ends.
    expect(rows[2]).toMatchObject({ actual: 30, p50: 30, band: [30, 30] });
    expect(rows[3]).toEqual({ date: "2024-01-04", p50: 5, band: [3, 8] });
  });

  it("keeps only the last N history points and orders a reversed band", () => {
    const rows = buildForecastChart(history, [{ date: "2024-01-04T00:00:00", p10: 9, p50: 6, p90: 4 }], 1);
    expect(rows.map((r) => r.date)).toEqual(["2024-01-03", "2024-01-04"]);
    expect(rows[1]!.band).toEqual([4, 9]);
  });

  it("does not bridge when there is no forecast", () => {
    const rows = buildForecastChart(history, []);
    expect(rows.every((r) => r.p50 === undefined)).toBe(true);
  });
});

describe("forecastTotal", () => {
  it("sums the first 28 days of daily quantiles", () => {
    const total = forecastTotal(daily("2024-02-01", 40, 10), 28);
    expect(total).toEqual({ p10: 224, p50: 280, p90: 364, start: "2024-02-01", end: "2024-02-28", points: 28 });
  });

  it("takes four weekly points for four weeks", () => {
    const weekly = ["2024-01-07", "2024-01-14", "2024-01-21", "2024-01-28", "2024-02-04"].map((date) => ({
      date,
      p10: 1,
      p50: 2,
      p90: 4,
    }));
    expect(forecastTotal(weekly, 28)).toMatchObject({ p50: 8, p10: 4, p90: 16, points: 4, end: "2024-01-28" });
  });

  it("is zero for an empty forecast", () => {
    expect(forecastTotal([])).toEqual({ p10: 0, p50: 0, p90: 0, start: null, end: null, points: 0 });
  });
});

describe("sales totals and change", () => {
  it("sums units and revenue over the range", () => {
    expect(salesTotals(history)).toEqual({ units: 60, revenue: 600, days: 3, start: "2024-01-01", end: "2024-01-03" });
    expect(salesTotals([])).toMatchObject({ units: 0, start: null });
  });

  it("compares the last window with the one before", () => {
    const points = [1, 1, 2, 2].map((units, i) => ({ date: `2024-01-0${i + 1}`, units, revenue: units * 10 }));
    expect(periodChange(points, "units", 2)).toBe(1);
    expect(periodChange(points, "revenue", 3)).toBeNull();
  });
});

describe("inferFrequency", () => {
  it("uses the label when there is one, else the spacing", () => {
    expect(inferFrequency([], "W")).toBe("W");
    expect(inferFrequency([], "weekly")).toBe("W");
    expect(inferFrequency([], "D")).toBe("D");
    expect(inferFrequency([{ date: "2024-01-14" }, { date: "2024-01-07" }])).toBe("W");
    expect(inferFrequency([{ date: "2024-01-01" }, { date: "2024-01-02" }])).toBe("D");
  });
});
