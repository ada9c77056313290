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
export type ItemStockouts = S["ItemStockouts"];
export type InventoryRecommendation = S["InventoryRecommendation"];
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

export type OrganizationSettings = S["OrganizationSettings"];
export type StockoutHandling = OrganizationSettings["stockouts"];
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
/** What a stock, stores or events upload answers: the sales upload's body (a job, its row counts). */
export type DataUploadAccepted = UploadAccepted;

// Stock-outs (issue #20) and the calendar (issue #21).
export type Stockout = S["Stockout"];
export type StockoutPage = S["StockoutPage"];
export type StockoutSource = Stockout["source"];
export type Store = S["Store"];
export type StoreUpdate = S["StoreUpdate"];
export type StoreSaved = S["StoreSaved"];
export type CalendarEvent = S["Event"];
export type EventSource = CalendarEvent["source"];

export interface Page<T> {
  items: T[];
  total: number;
}

export type AggregateLevel = "store" | "category" | "total";
