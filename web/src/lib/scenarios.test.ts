import { describe, expect, it } from "vitest";
import { buildChange, describeChange, relativeChange, scenarioChartRows, type ChangeForm } from "./scenarios";

const FORM: ChangeForm = {
  store: " S01 ",
  sku: "SKU001",
  category: "",
  start: "2024-01-01",
  end: "2024-01-14",
  priceMode: "pct",
  priceValue: "-10",
  promotion: true,
};

describe("buildChange", () => {
  it("keeps only the filters given and the chosen kind of price", () => {
    expect(buildChange(FORM)).toEqual({
      store: "S01",
      sku: "SKU001",
      start: "2024-01-01",
      end: "2024-01-14",
      price_change_pct: -10,
      promotion: 1,
    });
    expect(buildChange({ ...FORM, priceMode: "price", priceValue: "2.5", promotion: false })).toMatchObject({ price: 2.5 });
  });

  it("says what is wrong instead of sending a bad change", () => {
    expect(buildChange({ ...FORM, end: "2023-12-31" })).toBe("The last day is before the first day.");
    expect(buildChange({ ...FORM, priceMode: "price", priceValue: "-1" })).toBe("A price cannot be negative.");
    expect(buildChange({ ...FORM, priceMode: "none", promotion: false })).toBe("Set a price, a price change or a promotion.");
    expect(buildChange({ ...FORM, priceValue: "abc" })).toBe("Enter a number for the price.");
  });
});

describe("scenario display", () => {
  it("describes a change and orders chart rows by date", () => {
    expect(describeChange({ start: "2024-01-01", end: "2024-01-02", price_change_pct: 5 })).toBe(
      "every item: price +5%, 2024-01-01 – 2024-01-02",
    );
    const rows = scenarioChartRows([
      { date: "2024-01-02", p10: 3, p50: 2, p90: 1, baseline_p50: 1 },
      { date: "2024-01-01", p10: 1, p50: 2, p90: 3, baseline_p50: 2 },
    ]);
    expect(rows.map((r) => r.date)).toEqual(["2024-01-01", "2024-01-02"]);
    expect(rows[1]!.band).toEqual([1, 3]);
    expect(relativeChange(100, 110)).toBeCloseTo(0.1);
    expect(relativeChange(0, 5)).toBeNull();
  });
});
