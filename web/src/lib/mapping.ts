// Column-mapping rules for the upload preview: which canonical columns exist and what is missing.

export interface CanonicalColumn {
  key: string;
  label: string;
  required: boolean;
  hint: string;
}

export const CANONICAL_COLUMNS: CanonicalColumn[] = [
  { key: "date", label: "Date", required: true, hint: "Day of the sale" },
  { key: "sku", label: "Product (SKU)", required: true, hint: "Product code" },
  { key: "quantity", label: "Quantity", required: true, hint: "Units sold" },
  { key: "unit_price", label: "Unit price", required: true, hint: "Price paid per unit" },
  { key: "store", label: "Store", required: false, hint: "Leave empty for a single store" },
  { key: "customer_id", label: "Customer ID", required: false, hint: "Enables customer segments" },
  { key: "transaction_id", label: "Transaction ID", required: false, hint: "Receipt or invoice number" },
  { key: "product_name", label: "Product name", required: false, hint: "Readable name" },
  { key: "category", label: "Category", required: false, hint: "For category forecasts" },
  { key: "promotion", label: "Promotion", required: false, hint: "1 when on promotion" },
  { key: "regular_price", label: "Regular price", required: false, hint: "Shelf price before discounts" },
  { key: "feature", label: "In a flyer", required: false, hint: "1 when featured in an ad or flyer" },
  { key: "display", label: "On display", required: false, hint: "1 when on an in-store display" },
  { key: "tpr_only", label: "Price cut only", required: false, hint: "1 for a temporary price reduction" },
];

/** The known canonical columns plus any other the server reported, in a stable order. */
export function mappingColumns(mapping: Mapping): CanonicalColumn[] {
  const known = new Set(CANONICAL_COLUMNS.map((c) => c.key));
  const extra = Object.keys(mapping)
    .filter((key) => !known.has(key))
    .sort()
    .map((key) => ({ key, label: humanizeKind(key), required: false, hint: "" }));
  return [...CANONICAL_COLUMNS, ...extra];
}

export type Mapping = Record<string, string | null>;

/** Mapping with every canonical column present (null when unmapped), keeping columns the server added. */
export function normalizeMapping(mapping: Mapping | null | undefined): Mapping {
  const out: Mapping = {};
  for (const column of CANONICAL_COLUMNS) out[column.key] = mapping?.[column.key] ?? null;
  for (const [key, source] of Object.entries(mapping ?? {})) out[key] = source ?? null;
  return out;
}

/** Copy of the mapping with one canonical column pointed at `source` ("" or null unmaps it). */
export function setMapping(mapping: Mapping, canonical: string, source: string | null): Mapping {
  return { ...mapping, [canonical]: source ? source : null };
}

/** Required canonical columns that have no source column. */
export function missingRequired(mapping: Mapping): CanonicalColumn[] {
  return CANONICAL_COLUMNS.filter((c) => c.required && !mapping[c.key]);
}

/** Source columns assigned to more than one canonical column. */
export function duplicateSources(mapping: Mapping): string[] {
  const seen = new Map<string, number>();
  for (const source of Object.values(mapping)) {
    if (source) seen.set(source, (seen.get(source) ?? 0) + 1);
  }
  return [...seen.entries()].filter(([, n]) => n > 1).map(([source]) => source);
}

/** Whether the user changed anything compared with the detected mapping. */
export function mappingChanged(detected: Mapping, edited: Mapping): boolean {
  const keys = new Set([...Object.keys(detected), ...Object.keys(edited)]);
  return [...keys].some((key) => (detected[key] ?? null) !== (edited[key] ?? null));
}

/** Source columns that no canonical column uses (shown as "ignored"). */
export function unusedColumns(mapping: Mapping, columnsSeen: string[]): string[] {
  const used = new Set(Object.values(mapping).filter(Boolean));
  return columnsSeen.filter((c) => !used.has(c));
}

/** Error counts as [kind, count] sorted by count, largest first. */
export function errorCountsSorted(counts: Record<string, number> | null | undefined): [string, number][] {
  return Object.entries(counts ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** "missing_value" -> "Missing value". */
export function humanizeKind(kind: string): string {
  const text = kind.replace(/[_-]+/g, " ").trim();
  return text ? text[0]!.toUpperCase() + text.slice(1) : kind;
}
