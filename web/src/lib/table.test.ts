import { describe, expect, it } from "vitest";
import type { InventoryRecommendation } from "../api/types";
import { demandSourceText, filterInventory, hasStockLevel, nextSort, priorityLabel, riskLevel, sortRows } from "./table";

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
    urgency: null,
    supplier: null,
    explanation: "",
    ...over,
  };
}

const rows = [
  rec("A", { urgency: 3, days_of_cover: 4, stockout_risk: 0.3, supplier: "Acme" }),
  rec("B", { urgency: 1, days_of_cover: null, stockout_risk: 0.9, store: "S2", order_quantity: 12 }),
  rec("C", { urgency: 4, days_of_cover: 20, stockout_risk: 0.05 }),
  rec("D", { urgency: 2, days_of_cover: 1.5, stockout_risk: null, order_quantity: 5 }),
];

describe("sortRows", () => {
  it("sorts numbers both ways with missing values last", () => {
    expect(sortRows(rows, "days_of_cover", "asc").map((r) => r.sku)).toEqual(["D", "A", "C", "B"]);
    expect(sortRows(rows, "days_of_cover", "desc").map((r) => r.sku)).toEqual(["C", "A", "D", "B"]);
    expect(sortRows(rows, "stockout_risk", "desc").map((r) => r.sku)).toEqual(["B", "A", "C", "D"]);
  });

  it("sorts by urgency rank (1 = most urgent) and leaves the input untouched", () => {
    expect(sortRows(rows, "urgency", "asc").map((r) => r.sku)).toEqual(["B", "D", "A", "C"]);
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
  it("filters by text over store/sku/supplier, orders due and minimum risk", () => {
    const none = { search: "", toOrderOnly: false, minRisk: 0 };
    expect(filterInventory(rows, { ...none, search: "acme" }).map((r) => r.sku)).toEqual(["A"]);
    expect(filterInventory(rows, { ...none, search: "s2" }).map((r) => r.sku)).toEqual(["B"]);
    expect(filterInventory(rows, { ...none, toOrderOnly: true }).map((r) => r.sku)).toEqual(["B", "D"]);
    // D's risk is unknown: it is kept by "any risk" but not by a threshold.
    expect(filterInventory(rows, none).map((r) => r.sku)).toEqual(["A", "B", "C", "D"]);
    expect(filterInventory(rows, { ...none, minRisk: 0.25 }).map((r) => r.sku)).toEqual(["A", "B"]);
  });

  it("names risk levels", () => {
    expect([0.5, 0.2, 0.19, null].map(riskLevel)).toEqual(["high", "medium", "low", "unknown"]);
  });
});

describe("demandSourceText", () => {
  it("names the source and the demand class", () => {
    expect(demandSourceText("history", "lumpy")).toBe("its own sales history (lumpy demand)");
    expect(demandSourceText("forecast", "smooth")).toBe("the forecast (smooth demand)");
    expect(demandSourceText("forecast", null)).toBe("the forecast");
    expect(demandSourceText(undefined, undefined)).toBe("—");
  });
});

describe("priorityLabel", () => {
  it("shows a rank only where the stock on hand is known", () => {
    expect(priorityLabel({ on_hand: 12, urgency: 3 })).toBe("#3");
    expect(priorityLabel({ on_hand: 0, urgency: 1 })).toBe("#1");
    // Unknown stock: the engine ties every such item at 1; that is no priority, so no "#1".
    expect(priorityLabel({ on_hand: null, urgency: 1 })).toBe("—");
    expect(priorityLabel({ on_hand: 5, urgency: null })).toBe("—");
    expect([{ on_hand: null }, { on_hand: 0 }].map(hasStockLevel)).toEqual([false, true]);
  });
});
