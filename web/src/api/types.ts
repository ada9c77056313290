// App-facing names for the gateway's schemas; after `npm run gen:api` only these aliases move.
import type { components } from "./schema";

type S = components["schemas"];

export type TokenPair = S["TokenPair"];
export type UserOut = S["UserOut"];
export type Me = S["Me"];
export type RowError = S["RowError"];
export type UploadAccepted = S["UploadAccepted"];
export type UploadRejected = S["UploadRejected"];
export type UploadPreview = S["UploadPreview"];
export type StageStatus = S["StageStatus"];
export type Job = S["Job"];
export type JobPage = S["JobPage"];
export type SalesPoint = S["SalesPoint"];
export type SalesTimeseries = S["SalesTimeseries"];
export type ForecastPoint = S["ForecastPoint"];
export type ForecastAccuracy = S["ForecastAccuracy"];
export type SeriesForecast = S["SeriesForecast"];
export type AggregateForecast = S["AggregateForecast"];
export type InventoryRecommendation = S["InventoryRecommendation"];
export type InventorySummary = S["InventorySummary"];
export type PriceSuggestion = S["PriceSuggestion"];
export type PriceSimulation = S["PriceSimulation"];
export type Segment = S["Segment"];
export type SegmentSummary = S["SegmentSummary"];
export type SegmentCustomer = S["SegmentCustomer"];
export type SegmentMigration = S["SegmentMigration"];
export type ApiKey = S["ApiKey"];
export type ApiKeyCreated = S["ApiKeyCreated"];

export interface Page<T> {
  items: T[];
  total: number;
}

export type AggregateLevel = "store" | "category" | "total";
export type JobStatus = Job["status"];
