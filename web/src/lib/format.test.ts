import { describe, expect, it } from "vitest";
import {
  formatCompact,
  formatDate,
  formatDuration,
  formatCompactMoney,
  formatMoney,
  formatNumber,
  formatPercent,
  formatSignedMoney,
  formatSignedPercent,
  getCurrency,
  setCurrency,
  parseDay,
} from "./format";

describe("format", () => {
  it("formats numbers and money with separators and a dash when missing", () => {
    expect(formatNumber(12345.6)).toBe("12,346");
    expect(formatNumber(null)).toBe("—");
    expect(formatNumber(Number.NaN)).toBe("—");
    expect(formatMoney(1234.5)).toBe("$1,234.50");
    expect(formatCompact(12_300)).toBe("12.3K");
  });

  it("formats fractions as percentages, signed for changes", () => {
    expect(formatPercent(0.1234)).toBe("12.3%");
    expect(formatPercent(1, 0)).toBe("100%");
    expect(formatSignedPercent(0.04)).toBe("+4.0%");
    expect(formatSignedPercent(-0.025)).toBe("−2.5%");
    expect(formatSignedMoney(-35.1)).toBe("−$35.10");
    expect(formatSignedMoney(0)).toBe("$0.00");
  });

  it("reads calendar dates without a time-zone shift", () => {
    expect(parseDay("2024-03-01").getUTCDate()).toBe(1);
    expect(formatDate("2024-03-01")).toBe("1 Mar 2024");
    expect(formatDate("2024-12-31")).toBe("31 Dec 2024");
    expect(formatDate(null)).toBe("—");
  });

  it("describes durations in words", () => {
    expect(formatDuration("2024-01-01T00:00:00Z", "2024-01-01T00:00:42Z")).toBe("42 s");
    expect(formatDuration("2024-01-01T00:00:00Z", "2024-01-01T00:03:05Z")).toBe("3 min 5 s");
    expect(formatDuration("2024-01-01T00:00:00Z", "2024-01-01T02:10:00Z")).toBe("2 h 10 min");
    expect(formatDuration("2024-01-01T00:01:00Z", "2024-01-01T00:00:00Z")).toBe("—");
  });

  it("formats money in the organisation's currency, with that currency's decimals", () => {
    expect(getCurrency()).toBe("USD");
    expect(formatMoney(1397167.97)).toBe("$1,397,167.97");
    expect(formatMoney(1234.5, "EUR")).toBe("€1,234.50");
    expect(formatMoney(1234.5, "JPY")).toBe("¥1,235");
    expect(formatMoney(1234.5, "CHF")).toBe("CHF\u00a01,234.50");
    expect(formatCompactMoney(4_100_000, "GBP")).toBe("£4.1M");
    expect(formatSignedMoney(120, "EUR")).toBe("+€120.00");
    expect(formatMoney(null, "EUR")).toBe("—");
    setCurrency("EUR");
    try {
      expect(formatMoney(2.5)).toBe("€2.50");
      expect(formatSignedMoney(-2.5)).toBe("−€2.50");
      expect(formatCompactMoney(12_300)).toBe("€12.3K");
    } finally {
      setCurrency("USD");
    }
  });
});
