// App-facing names for the gateway's schemas (src/api/schema.ts is generated: `npm run gen:api`).
// Only these aliases move when the gateway renames a schema.
import type { components } from "./schema";

type S = components["schemas"];

export type TokenPair = S["TokenPair"];
export type UserOut = S["User"];
export type Me = S["Me"];
export type RowError = S["RowErrorOut"];
export type UploadAccepted = S["UploadAccepted"];
export type UploadPreview = S["UploadPreview"];
export type StageStatus = S["Stage"];
export type Job = S["Job"];
export type JobPage = S["JobList"];
export type SalesPoint = S["SalesPoint"];
export type SalesTimeseries = S["SalesTimeseries"];
export type ForecastPoint = S["ForecastPoint"];
export type ForecastAccuracy = S["Accuracy"];
export type SeriesForecast = S["SeriesForecast"];
export type AggregateForecast = S["AggregateForecast"];
/** An item's stock-outs over the last 365 days of history (issue #20); absent before the first run that counted them. */
export interface ItemStockouts {
  count: number;
  lost_units: number;
  lost_revenue: number;
}
export type InventoryRecommendation = S["InventoryRecommendation"] & { stockouts?: ItemStockouts | null };
export type InventorySummary = S["InventorySummary"];
export type PriceSuggestion = S["PricingSuggestion"];
export type PriceSimulation = S["Simulation"];
export type Segment = S["Segment"];
export type SegmentSummary = S["Segments"];
export type SegmentCustomer = S["Customer"];
export type SegmentMigration = S["MigrationReport"];
export type ScenarioChange = S["ScenarioChange"];
export type ScenarioCreate = S["ScenarioCreate"];
export type ScenarioAccepted = S["ScenarioAccepted"];
export type ScenarioAdopted = S["AdoptAccepted"];
export type ScenarioSummary = S["ScenarioSummary"];
export type Scenario = S["Scenario"];
export type ScenarioItem = S["ScenarioItem"];
export type ScenarioPoint = S["ScenarioPoint"];
export type ScenarioFigures = S["ScenarioItemFigures"];
export type ScenarioTotals = S["ScenarioTotals"];

export type StockoutHandling = "flag" | "correct";
/** `stockouts` and `country` come from issues #20 and #21 (shared contracts). */
export type OrganizationSettings = S["OrganizationSettings"] & { stockouts?: StockoutHandling; country?: string };
export type SettingsSaved = S["SettingsSaved"];

export type ApiKey = S["ApiKey"];
export type ApiKeyList = S["ApiKeyList"];
export type ApiKeyCreated = S["ApiKeyCreated"];

// Not in the OpenAPI document (it is an error response): the 422 body of a rejected upload,
// written from the contract in issue #8.
export interface UploadRejected {
  detail: string;
  errors: RowError[];
  error_counts: Record<string, number>;
  mapping: Record<string, string | null>;
  columns_seen: string[];
}

// Written from the shared contracts of issues #20 (stock-outs) and #21 (stores and events).
/** What a stock, stores or events upload answers: a job for the engines that re-run, and its row counts. */
export interface DataUploadAccepted {
  job_id?: string | null;
  status?: string;
  rows_accepted?: number;
  rows_rejected?: number;
  duplicate?: boolean;
}

export type StockoutSource = "stock" | "inferred";

/** One censored period of one item: what it sold, what customers wanted, what was lost. */
export interface Stockout {
  store: string;
  sku: string;
  start: string;
  end: string;
  source: StockoutSource;
  probability: number | null;
  sales: number;
  estimated_demand: number;
  lost_units: number;
  lost_revenue: number;
}

export interface StockoutPage {
  items: Stockout[];
  total: number;
  lost_units_total: number;
  lost_revenue_total: number;
}

export interface Store {
  store: string;
  name: string | null;
  country: string | null;
  subdivision: string | null;
  city: string | null;
  opened_on: string | null;
  closed_on: string | null;
}

export type StoreUpdate = Partial<Omit<Store, "store">>;
/** The store as saved, and the job re-running the engines (null before any sales). */
export type StoreSaved = Store & { job_id: string | null };

export type EventSource = "holiday" | "retail" | "own";

export interface CalendarEvent {
  /** Own events: their number as a string; built-in ones a stable "holiday:"/"retail:" key. */
  id: string;
  name: string;
  family: string | null;
  kind: string | null;
  source: EventSource;
  start: string;
  end: string;
  days_before: number | null;
  days_after: number | null;
  store: string | null;
  category: string | null;
  country: string | null;
  subdivision: string | null;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export type AggregateLevel = "store" | "category" | "total";
