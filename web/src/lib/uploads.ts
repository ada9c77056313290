// The uploads besides sales (issues #20 and #21): what each file holds and what happens after.
import type { DataUploadKind } from "../api/endpoints";
import type { UploadRejected } from "../api/types";

/** Every upload reads CSV (optionally gzipped), Excel or Parquet: the server reads the type from the content. */
export const UPLOAD_ACCEPT = ".csv,.gz,.csv.gz,.xlsx,.parquet,text/csv";

/** A 422 body that lists the rejected rows (the sales upload's contract, shared by the others). */
export function isRejected(body: unknown): body is UploadRejected {
  return !!body && typeof body === "object" && "errors" in body && Array.isArray((body as UploadRejected).errors);
}

export type UploadKind = "sales" | DataUploadKind;

export interface UploadKindInfo {
  key: UploadKind;
  label: string;
  /** What the file is, for "Drag your … here". */
  what: string;
  subtitle: string;
  columns: string;
  /** Whether the endpoint answers `?dry_run=true` with a preview (nothing stored). */
  preview: boolean;
  after: string;
}

export const UPLOAD_KINDS: UploadKindInfo[] = [
  {
    key: "sales",
    label: "Sales",
    what: "sales file",
    subtitle: "One row per sale or per product per day. CSV or gzipped CSV; we check it before anything is stored.",
    columns: "",
    preview: true,
    after: "",
  },
  {
    key: "stock",
    label: "Stock",
    what: "stock file",
    subtitle: "Units on hand at the end of each day per store and product: it tells when the shelf was empty.",
    columns:
      "date, store, sku and on_hand (also read as stock, soh, qty_on_hand, inventory, stock_level), or an in_stock 0/1 column instead of on_hand. A later row for the same day replaces an earlier one.",
    preview: true,
    after: "Forecasting and inventory run again: periods out of stock are learned from estimated demand, and the latest stock level is the current one.",
  },
  {
    key: "stores",
    label: "Stores",
    what: "stores file",
    subtitle: "Where each store is: its country and region decide which public holidays apply to it.",
    columns: "store, name, country (ISO code such as US, DE, GB), subdivision (state or region code), city, opened_on, closed_on.",
    preview: true,
    after: "Forecasting runs again with each store's holidays, and no forecast before a store opened or after it closed.",
  },
  {
    key: "events",
    label: "Events",
    what: "events file",
    subtitle: "Your own events, past and future: campaigns, local festivals, store works.",
    columns: "name, start, end (dates), and optionally store, category and kind. Without a store the event applies to every store.",
    preview: true,
    after: "Forecasting runs again and learns each kind of event's effect for its next occurrence.",
  },
];

/** The kind named in `?kind=`, sales when missing or unknown. */
export function uploadKind(value: string | null | undefined): UploadKindInfo {
  return UPLOAD_KINDS.find((k) => k.key === value) ?? UPLOAD_KINDS[0]!;
}
