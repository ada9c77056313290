import { describe, expect, it } from "vitest";
import {
  duplicateSources,
  errorCountsSorted,
  humanizeKind,
  mappingChanged,
  mappingColumns,
  missingRequired,
  normalizeMapping,
  setMapping,
  unusedColumns,
} from "./mapping";

const detected = normalizeMapping({ date: "InvoiceDate", sku: "StockCode", quantity: "Quantity", unit_price: null });

describe("column mapping", () => {
  it("fills every canonical column and reports the required ones still missing", () => {
    expect(Object.keys(detected)).toHaveLength(14);
    expect(detected.store).toBeNull();
    expect(missingRequired(detected).map((c) => c.key)).toEqual(["unit_price"]);
    const fixed = setMapping(detected, "unit_price", "UnitPrice");
    expect(missingRequired(fixed)).toEqual([]);
    // Store is optional: the server falls back to a default store.
    expect(fixed.store).toBeNull();
  });

  it("treats an empty choice as unmapped and does not mutate the original", () => {
    const edited = setMapping(detected, "date", "");
    expect(edited.date).toBeNull();
    expect(detected.date).toBe("InvoiceDate");
    expect(mappingChanged(detected, edited)).toBe(true);
    expect(mappingChanged(detected, { ...detected })).toBe(false);
  });

  it("finds a source column used twice and the ignored ones", () => {
    const twice = setMapping(detected, "unit_price", "Quantity");
    expect(duplicateSources(twice)).toEqual(["Quantity"]);
    expect(duplicateSources(detected)).toEqual([]);
    expect(unusedColumns(detected, ["InvoiceDate", "StockCode", "Quantity", "Country"])).toEqual(["Country"]);
  });

  it("keeps columns the server knows and the dashboard does not", () => {
    const withExtra = normalizeMapping({ date: "d", loyalty_card: "Card" });
    expect(withExtra.loyalty_card).toBe("Card");
    const columns = mappingColumns(withExtra).map((c) => c.key);
    expect(columns[0]).toBe("date");
    expect(columns[columns.length - 1]).toBe("loyalty_card");
    expect(mappingChanged(withExtra, setMapping(withExtra, "loyalty_card", null))).toBe(true);
  });

  it("orders error kinds by count and names them in words", () => {
    expect(errorCountsSorted({ bad_date: 2, missing_value: 5, zero: 0, a_kind: 2 })).toEqual([
      ["missing_value", 5],
      ["a_kind", 2],
      ["bad_date", 2],
    ]);
    expect(errorCountsSorted(null)).toEqual([]);
    expect(humanizeKind("missing_value")).toBe("Missing value");
  });
});
