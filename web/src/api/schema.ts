/**
 * HAND-WRITTEN from the API contract in issue #8 until the gateway serves /openapi.json.
 * Replace by running `npm run gen:api` (openapi-typescript reads web/openapi.json).
 * The shape mirrors openapi-typescript's output (`components["schemas"][...]`) so that
 * src/api/types.ts only has to re-point its aliases after regeneration.
 */

export interface components {
  schemas: {
    UserCreate: { email: string; password: string; name: string };
    UserOut: { id: string; email: string; name: string; organization_id: string };
    LoginRequest: { email: string; password: string };
    RefreshRequest: { refresh_token: string };
    TokenPair: { access_token: string; refresh_token: string; token_type: string };
    Me: {
      id: string;
      email: string;
      name: string;
      organization_id: string;
      organization_name: string;
      role: string;
    };
    RowError: {
      row: number | null;
      column: string | null;
      value: string | null;
      expected: string | null;
      kind: string;
      message: string;
    };
    UploadAccepted: { job_id: string; status: string; rows_accepted: number; rows_rejected: number };
    UploadRejected: {
      detail: string;
      errors: components["schemas"]["RowError"][];
      error_counts: { [kind: string]: number };
      mapping: { [canonical: string]: string | null };
      columns_seen: string[];
    };
    UploadPreview: {
      mapping: { [canonical: string]: string | null };
      columns_seen: string[];
      rows_total: number;
      rows_valid: number;
      rows_rejected: number;
      error_counts: { [kind: string]: number };
      errors: components["schemas"]["RowError"][];
    };
    StageStatus: { status: string; progress: number; error: string | null };
    Job: {
      id: string;
      status: "queued" | "running" | "succeeded" | "failed";
      created_at: string;
      finished_at: string | null;
      filename: string | null;
      stages: { [stage: string]: components["schemas"]["StageStatus"] };
      rows_accepted: number;
      rows_rejected: number;
      rows_new: number;
      rows_updated: number;
      rows_unchanged: number;
      error_counts: { [kind: string]: number };
      errors: components["schemas"]["RowError"][];
    };
    JobPage: { items: components["schemas"]["Job"][]; total: number };
    SalesPoint: { date: string; units: number; revenue: number };
    SalesTimeseries: { points: components["schemas"]["SalesPoint"][] };
    ForecastPoint: { date: string; p10: number; p50: number; p90: number };
    ForecastAccuracy: {
      wape: number | null;
      mase: number | null;
      bias: number | null;
      coverage_80: number | null;
    };
    SeriesForecast: {
      store: string;
      sku: string;
      model: string;
      frequency: string;
      accuracy: components["schemas"]["ForecastAccuracy"];
      points: components["schemas"]["ForecastPoint"][];
    };
    AggregateForecast: {
      level: string;
      key: string;
      points: components["schemas"]["ForecastPoint"][];
    };
    ForecastPage: {
      items: (components["schemas"]["SeriesForecast"] | components["schemas"]["AggregateForecast"])[];
      total: number;
    };
    InventoryRecommendation: {
      store: string;
      sku: string;
      on_hand: number;
      on_order: number;
      reorder_point: number;
      safety_stock: number;
      order_up_to: number;
      order_quantity: number;
      days_of_cover: number | null;
      stockout_risk: number;
      expected_stockout_date: string | null;
      excess_units: number;
      excess_value: number;
      urgency: string;
      supplier: string | null;
      explanation: string;
    };
    InventoryPage: { items: components["schemas"]["InventoryRecommendation"][]; total: number };
    InventorySummary: { stock_value: number; items_at_risk: number; excess_value: number; items: number };
    PriceSuggestion: {
      store: string;
      sku: string;
      current_price: number;
      suggested_price: number;
      elasticity: number;
      elasticity_ci: number[];
      expected_units_change: number;
      expected_revenue_change: number;
      expected_profit_change: number;
      confidence: string | number;
      explanation: string;
    };
    PricingPage: { items: components["schemas"]["PriceSuggestion"][]; total: number };
    PriceSimulation: {
      price: number;
      expected_units: number;
      expected_revenue: number;
      expected_profit: number;
    };
    Segment: {
      name: string;
      customers: number;
      revenue_share: number;
      recency_days: number;
      frequency: number;
      monetary: number;
      clv_mean: number | null;
      p_alive_mean: number | null;
      description: string;
      action: string;
    };
    SegmentSummary: {
      segments: components["schemas"]["Segment"][];
      total_customers: number;
      run_at: string | null;
    };
    SegmentCustomer: {
      customer_id: string;
      segment: string;
      recency_days: number;
      frequency: number;
      monetary: number;
      clv: number | null;
      p_alive: number | null;
    };
    SegmentCustomerPage: { items: components["schemas"]["SegmentCustomer"][]; total: number };
    SegmentMigration: {
      items: { from_segment: string; to_segment: string; customers: number }[];
      previous_run_at: string | null;
      current_run_at: string | null;
    };
    ApiKeyCreate: { name: string; scopes: string[] };
    ApiKeyCreated: { id: string; key: string };
    ApiKey: {
      id: string;
      name: string;
      scopes: string[];
      created_at: string;
      last_used_at?: string | null;
      prefix?: string | null;
    };
    ErrorResponse: { detail: string };
  };
}
