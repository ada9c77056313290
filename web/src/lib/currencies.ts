// The currencies offered in Settings, named for people ("EUR — Euro").

export interface CurrencyChoice {
  code: string;
  label: string;
}

// Where the browser cannot list its currencies: the common ones (the server validates any code).
const FALLBACK = ["AUD", "BRL", "CAD", "CHF", "CNY", "DKK", "EUR", "GBP", "INR", "JPY", "MXN", "NOK", "NZD", "PLN", "SEK", "USD", "ZAR"];

/** Every currency the browser knows, plus `current`, sorted by code and labelled with its name. */
export function currencyChoices(current: string, locale = "en"): CurrencyChoice[] {
  const listed = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("currency") : FALLBACK;
  let names: Intl.DisplayNames | null = null;
  try {
    names = new Intl.DisplayNames([locale], { type: "currency" });
  } catch {
    names = null;
  }
  return [...new Set([...listed, current])]
    .sort()
    .map((code) => ({ code, label: `${code} — ${names?.of(code) ?? code}` }));
}
