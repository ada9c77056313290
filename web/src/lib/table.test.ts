import { describe, expect, it } from "vitest";
import type { InventoryRecommendation } from "../api/types";
import { filterInventory, nextSort, sortRows, urgencyOptions, urgencyRank } from "./table";

function rec(sku: string, over: Partial<InventoryRecommendation> = {}): InventoryRecommendation {
  return {
    store: "S1",
    sku,
    on_hand: 10,
    on_order: 0,
    reorder_point: 5,
    safety_stock: 2,
    order_up_to: 20,
    order_quantity: 0,
    days_of_cover: 10,
    stockout_risk: 0,
    expected_stockout_date: null,
    excess_units: 0,
    excess_value: 0,
    urgency: "low",
    supplier: null,
    explanation: "",
    ...over,
  };
}

const rows = [
  rec("A", { urgency: "medium", days_of_cover: 4, stockout_risk: 0.3, supplier: "Acme" }),
  rec("B", { urgency: "critical", days_of_cover: null, stockout_risk: 0.9, store: "S2" }),
  rec("C", { urgency: "low", days_of_cover: 20, stockout_risk: 0.05 }),
  rec("D", { urgency: "high", days_of_cover: 1.5, stockout_risk: 0.6 }),
];

describe("sortRows", () => {
  it("sorts numbers both ways with missing values last", () => {
    expect(sortRows(rows, "days_of_cover", "asc").map((r) => r.sku)).toEqual(["D", "A", "C", "B"]);
    expect(sortRows(rows, "days_of_cover", "desc").map((r) => r.sku)).toEqual(["C", "A", "D", "B"]);
  });

  it("sorts by a rank function (urgency) and leaves the input untouched", () => {
    const sorted = sortRows(rows, "urgency", "asc", (r) => urgencyRank(r.urgency));
    expect(sorted.map((r) => r.sku)).toEqual(["B", "D", "A", "C"]);
    expect(rows.map((r) => r.sku)).toEqual(["A", "B", "C", "D"]);
  });

  it("compares text naturally", () => {
    const skus = [rec("SKU10"), rec("SKU9"), rec("SKU100")];
    expect(sortRows(skus, "sku", "asc").map((r) => r.sku)).toEqual(["SKU9", "SKU10", "SKU100"]);
  });
});

describe("nextSort", () => {
  it("flips the same column and starts a new one at the given direction", () => {
    expect(nextSort({ key: "a", dir: "desc" }, "a")).toEqual({ key: "a", dir: "asc" });
    expect(nextSort({ key: "a", dir: "asc" }, "b", "desc")).toEqual({ key: "b", dir: "desc" });
  });
});

describe("filterInventory", () => {
  it("filters by text over store/sku/supplier, urgency and minimum risk", () => {
    expect(filterInventory(rows, { search: "acme", urgency: "", minRisk: 0 }).map((r) => r.sku)).toEqual(["A"]);
    expect(filterInventory(rows, { search: "s2", urgency: "", minRisk: 0 }).map((r) => r.sku)).toEqual(["B"]);
    expect(filterInventory(rows, { search: "", urgency: "HIGH", minRisk: 0 }).map((r) => r.sku)).toEqual(["D"]);
    expect(filterInventory(rows, { search: "", urgency: "", minRisk: 0.5 }).map((r) => r.sku)).toEqual(["B", "D"]);
  });

  it("lists urgency options most urgent first, unknown words last", () => {
    expect(urgencyOptions([...rows, rec("E", { urgency: "watch" })])).toEqual(["critical", "high", "medium", "low", "watch"]);
  });
});
