// Countries whose public holidays the platform knows (the `holidays` package's ISO 3166-1 alpha-2
// codes and their subdivisions), named for people. holidayCountries.json is generated from the
// locked package: `.venv/bin/python -c "import holidays, json; print(json.dumps({k: v for k, v in
// sorted(holidays.list_supported_countries().items()) if len(k) == 2}, separators=(',', ':')))"`;
// the server validates every code itself.
import supported from "./holidayCountries.json";

const SUBDIVISIONS: Record<string, string[]> = supported;

export interface CountryChoice {
  code: string;
  label: string;
}

function displayNames(locale: string): Intl.DisplayNames | null {
  try {
    return new Intl.DisplayNames([locale], { type: "region" });
  } catch {
    return null;
  }
}

/** "France (FR)", or the code alone when the browser has no name for it. */
export function countryLabel(code: string | null | undefined, locale = "en"): string {
  if (!code) return "—";
  const name = displayNames(locale)?.of(code);
  return name && name !== code ? `${name} (${code})` : code;
}

/** Every supported country plus `current` (if the server knows one we do not), sorted by name. */
export function countryChoices(current?: string | null, locale = "en"): CountryChoice[] {
  const codes = new Set(Object.keys(SUBDIVISIONS));
  if (current) codes.add(current);
  return [...codes]
    .map((code) => ({ code, label: countryLabel(code, locale) }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

/** The country's subdivision codes (states, regions) with their own holidays; empty when none. */
export function subdivisionsOf(country: string | null | undefined): string[] {
  return country ? (SUBDIVISIONS[country] ?? []) : [];
}
