// Number and date formatting shared by every page, so figures read the same everywhere.

const numberFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const compactFmt = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const DASH = "—";

function isNum(value: number | null | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** Whole number with thousands separators ("12,345"); a dash when missing. */
export function formatNumber(value: number | null | undefined): string {
  return isNum(value) ? numberFmt.format(value) : DASH;
}

/** Number with up to `digits` decimals ("3.25"). */
export function formatDecimal(value: number | null | undefined, digits = 2): string {
  if (!isNum(value)) return DASH;
  return new Intl.NumberFormat("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(
    value,
  );
}

// The organisation's currency (Settings): every amount is shown in it. Set once the signed-in
// organisation's settings have loaded (src/currency.tsx); USD, the platform's default, until then.
let currency = "USD";
const moneyFormats = new Map<string, Intl.NumberFormat>();

/** Make `code` (ISO 4217) the currency of every amount formatted from now on. */
export function setCurrency(code: string): void {
  currency = code;
}

/** The currency amounts are formatted in. */
export function getCurrency(): string {
  return currency;
}

function moneyFormat(code: string, compact: boolean): Intl.NumberFormat {
  const key = `${code}:${compact}`;
  let format = moneyFormats.get(key);
  if (!format) {
    try {
      // The currency's own decimals (2 for USD, 0 for JPY) and its symbol ("$", "€", "CHF").
      format = new Intl.NumberFormat("en-US", {
        style: "currency",
        currency: code,
        ...(compact ? { notation: "compact", maximumFractionDigits: 1 } : {}),
      });
    } catch {
      // Not a code this browser knows: the number alone; the caller's label still says money.
      format = new Intl.NumberFormat("en-US", compact ? { notation: "compact", maximumFractionDigits: 1 } : { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    moneyFormats.set(key, format);
  }
  return format;
}

/** Money in the organisation's currency ("$1,234.50", "€1,234.50", "¥1,235"). */
export function formatMoney(value: number | null | undefined, code: string = currency): string {
  return isNum(value) ? moneyFormat(code, false).format(value) : DASH;
}

/** Short money for large figures on cards and axes ("$12.3K", "€4.1M"). */
export function formatCompactMoney(value: number | null | undefined, code: string = currency): string {
  return isNum(value) ? moneyFormat(code, true).format(value) : DASH;
}

/** Short form for large figures on cards and axes ("12.3K", "4.1M"). */
export function formatCompact(value: number | null | undefined): string {
  return isNum(value) ? compactFmt.format(value) : DASH;
}

/** Fraction as a percentage ("0.123" -> "12.3%"). */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  return isNum(value) ? `${(value * 100).toFixed(digits)}%` : DASH;
}

/** Signed fraction as a percentage ("+4.0%", "−2.5%") for changes. */
export function formatSignedPercent(value: number | null | undefined, digits = 1): string {
  if (!isNum(value)) return DASH;
  const text = `${Math.abs(value * 100).toFixed(digits)}%`;
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

/** Signed money for changes ("+$120.00", "−$35.10"). */
export function formatSignedMoney(value: number | null | undefined, code: string = currency): string {
  if (!isNum(value)) return DASH;
  const text = moneyFormat(code, false).format(Math.abs(value));
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

/** Parse "YYYY-MM-DD" (or an ISO timestamp) without the browser shifting it by the time zone. */
export function parseDay(value: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match) return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Date(value);
}

/** Calendar date as "1 Mar 2024". */
export function formatDate(value: string | null | undefined): string {
  if (!value) return DASH;
  const date = parseDay(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** Short axis label "1 Mar". */
export function formatShortDate(value: string): string {
  const date = parseDay(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
}

/** Timestamp in the viewer's local time, "1 Mar 2024, 14:05". */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return DASH;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const hh = String(date.getHours()).padStart(2, "0");
  const mm = String(date.getMinutes()).padStart(2, "0");
  return `${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()}, ${hh}:${mm}`;
}

/** Elapsed time between two timestamps in words ("42 s", "3 min 5 s"). */
export function formatDuration(startIso: string, endIso: string | null | undefined, now = Date.now()): string {
  const start = new Date(startIso).getTime();
  const end = endIso ? new Date(endIso).getTime() : now;
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return DASH;
  const seconds = Math.round((end - start) / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
