// One typed function per gateway endpoint; pages call these, never fetch directly.
import { download, queryString, request } from "./http";
import type {
  AggregateForecast,
  AggregateLevel,
  CalendarEvent,
  DataUploadAccepted,
  EventSource,
  ApiKeyCreated,
  ApiKeyList,
  InventoryRecommendation,
  InventorySummary,
  Job,
  Me,
  OrganizationSettings,
  Page,
  PriceSimulation,
  PriceSuggestion,
  Scenario,
  ScenarioAccepted,
  ScenarioAdopted,
  ScenarioCreate,
  ScenarioSummary,
  SalesTimeseries,
  SegmentCustomer,
  SegmentMigration,
  SegmentSummary,
  SeriesForecast,
  SettingsSaved,
  StockoutPage,
  StockoutSource,
  Store,
  StoreSaved,
  StoreUpdate,
  TokenPair,
  UploadAccepted,
  UploadPreview,
  UserOut,
} from "./types";

export const auth = {
  register: (email: string, password: string, name: string) =>
    request<UserOut>("/auth/register", { method: "POST", json: { email, password, name }, auth: false }),
  login: (email: string, password: string) =>
    request<TokenPair>("/auth/login", { method: "POST", json: { email, password }, auth: false }),
  logout: (refreshToken: string) =>
    request<null>("/auth/logout", { method: "POST", json: { refresh_token: refreshToken } }),
  me: () => request<Me>("/auth/me"),
};

export interface UploadOptions {
  mapping?: Record<string, string | null>;
  onError?: "reject" | "skip";
  horizonDays?: number;
}

function uploadForm(file: File, mapping?: Record<string, string | null>): FormData {
  const form = new FormData();
  form.append("file", file, file.name);
  // Explicit nulls say "not in my file", so the server does not map that column on its own.
  if (mapping && Object.keys(mapping).length > 0) form.append("mapping", JSON.stringify(mapping));
  return form;
}

export const uploads = {
  preview: (file: File, mapping?: Record<string, string | null>) =>
    request<UploadPreview>(`/upload-sales${queryString({ dry_run: true })}`, {
      method: "POST",
      body: uploadForm(file, mapping),
    }),
  submit: (file: File, options: UploadOptions = {}) =>
    request<UploadAccepted>(
      `/upload-sales${queryString({ on_error: options.onError, horizon_days: options.horizonDays })}`,
      { method: "POST", body: uploadForm(file, options.mapping) },
    ),
};

/** The other uploads (issues #20 and #21): same file rules and 422 errors as sales, no column editor. */
export type DataUploadKind = "stock" | "stores" | "events";

export const dataUploads = {
  preview: (kind: DataUploadKind, file: File) =>
    request<UploadPreview>(`/upload-${kind}${queryString({ dry_run: true })}`, { method: "POST", body: uploadForm(file) }),
  submit: (kind: DataUploadKind, file: File, onError?: "reject" | "skip") =>
    request<DataUploadAccepted>(`/upload-${kind}${queryString({ on_error: onError })}`, {
      method: "POST",
      body: uploadForm(file),
    }),
};

export const jobs = {
  list: (limit = 20, offset = 0) => request<Page<Job>>(`/jobs${queryString({ limit, offset })}`),
  get: (id: string) => request<Job>(`/jobs/${encodeURIComponent(id)}`),
  downloadErrors: (id: string) => download(`/jobs/${encodeURIComponent(id)}/errors.csv`, `errors-${id}.csv`),
};

export const sales = {
  timeseries: (params: { store?: string; sku?: string; freq?: "D" | "W" } = {}) =>
    request<SalesTimeseries>(`/sales/timeseries${queryString(params)}`),
};

export const forecasts = {
  series: (params: { store?: string; sku?: string; limit?: number; offset?: number; drivers?: boolean } = {}) =>
    request<Page<SeriesForecast>>(`/forecast${queryString(params)}`),
  aggregate: (level: AggregateLevel) =>
    request<Page<AggregateForecast>>(`/forecast${queryString({ level })}`),
};

export interface InventoryQuery {
  store?: string;
  urgentOnly?: boolean;
  sort?: "urgency" | "value";
  limit?: number;
  offset?: number;
}

function inventoryQuery(q: InventoryQuery, format?: "csv"): string {
  return queryString({
    store: q.store,
    urgent_only: q.urgentOnly ? true : undefined,
    sort: q.sort,
    limit: q.limit,
    offset: q.offset,
    format,
  });
}

export const inventory = {
  list: (q: InventoryQuery = {}) =>
    request<Page<InventoryRecommendation>>(`/inventory-recommendations${inventoryQuery(q)}`),
  summary: () => request<InventorySummary>("/inventory-recommendations/summary"),
  downloadCsv: (q: InventoryQuery = {}) =>
    download(
      `/inventory-recommendations${inventoryQuery({ ...q, limit: undefined, offset: undefined }, "csv")}`,
      "purchase-order.csv",
    ),
};

export interface StockoutQuery {
  store?: string;
  sku?: string;
  source?: StockoutSource;
  since?: string;
  limit?: number;
  offset?: number;
}

const PAGE = 500;

/** Every item of a paged list, PAGE at a time, up to `maxItems`; the first page's other fields (totals) kept. */
async function allPages<P extends Page<unknown>>(load: (limit: number, offset: number) => Promise<P>, maxItems = 10_000): Promise<P> {
  const first = await load(PAGE, 0);
  const items = [...first.items];
  while (items.length < Math.min(first.total, maxItems)) {
    const next = await load(PAGE, items.length);
    if (next.items.length === 0) break;
    items.push(...next.items);
  }
  return { ...first, items };
}

export const stockouts = {
  list: (q: StockoutQuery = {}) => request<StockoutPage>(`/stockouts${queryString({ ...q })}`),
  /** Every period matching `q` (the totals always cover all of them). */
  listAll: (q: Omit<StockoutQuery, "limit" | "offset"> = {}) => allPages((limit, offset) => stockouts.list({ ...q, limit, offset })),
};

export interface EventQuery {
  since?: string;
  until?: string;
  store?: string;
  source?: EventSource;
  limit?: number;
  offset?: number;
}

export const calendar = {
  events: (q: EventQuery = {}) => request<Page<CalendarEvent>>(`/events${queryString({ ...q })}`),
  allEvents: (q: Omit<EventQuery, "limit" | "offset"> = {}) => allPages((limit, offset) => calendar.events({ ...q, limit, offset })),
  removeEvent: (id: string) => request<null>(`/events/${encodeURIComponent(id)}`, { method: "DELETE" }),
  /** The stores, up to the API's largest page (1,000). */
  stores: () => request<Page<Store>>(`/stores${queryString({ limit: 1000 })}`),
  updateStore: (store: string, update: StoreUpdate) =>
    request<StoreSaved>(`/stores/${encodeURIComponent(store)}`, { method: "PUT", json: update }),
};

export const pricing = {
  list: (params: { store?: string; sku?: string; limit?: number; offset?: number } = {}) =>
    request<Page<PriceSuggestion>>(`/pricing-suggestions${queryString(params)}`),
  simulate: (store: string, sku: string, price: number, signal?: AbortSignal) =>
    request<PriceSimulation>(`/pricing-suggestions/simulate${queryString({ store, sku, price })}`, { signal }),
};

export const scenarios = {
  list: (limit = 50, offset = 0) => request<Page<ScenarioSummary>>(`/scenarios${queryString({ limit, offset })}`),
  get: (id: string, params: { limit?: number; offset?: number } = {}) =>
    request<Scenario>(`/scenarios/${encodeURIComponent(id)}${queryString(params)}`),
  create: (body: ScenarioCreate) => request<ScenarioAccepted>("/scenarios", { method: "POST", json: body }),
  remove: (id: string) => request<null>(`/scenarios/${encodeURIComponent(id)}`, { method: "DELETE" }),
  adopt: (id: string) => request<ScenarioAdopted>(`/scenarios/${encodeURIComponent(id)}/adopt`, { method: "POST" }),
};

export const segments = {
  summary: () => request<SegmentSummary>("/customer-segments"),
  customers: (params: { segment?: string; limit?: number; offset?: number } = {}) =>
    request<Page<SegmentCustomer>>(`/customer-segments/customers${queryString(params)}`),
  migration: () => request<SegmentMigration>("/customer-segments/migration"),
  downloadCsv: (segment?: string) =>
    download(
      `/customer-segments/export.csv${queryString({ segment })}`,
      segment ? `customers-${segment}.csv` : "customers.csv",
    ),
};

export const organization = {
  settings: () => request<OrganizationSettings>("/settings"),
  /** Replace every setting (owners only); the gateway re-runs pricing and inventory with them. */
  saveSettings: (settings: OrganizationSettings) => request<SettingsSaved>("/settings", { method: "PUT", json: settings }),
};

export const apiKeys = {
  list: () => request<ApiKeyList>("/api-keys"),
  create: (name: string, scopes: string[]) =>
    request<ApiKeyCreated>("/api-keys", { method: "POST", json: { name, scopes } }),
  revoke: (id: string) => request<null>(`/api-keys/${encodeURIComponent(id)}`, { method: "DELETE" }),
};
