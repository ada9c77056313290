// Overview: one card per engine, each linking to its page.
import { useState } from "react";
import { Link } from "react-router-dom";
import { forecasts, inventory, jobs, pricing, sales, segments } from "../api/endpoints";
import type {
  AggregateForecast,
  InventoryRecommendation,
  InventorySummary,
  Page,
  PriceSuggestion,
  SalesTimeseries,
  SegmentSummary,
} from "../api/types";
import { ForecastChart, SalesChart } from "../components/charts";
import { QueryView } from "../components/QueryView";
import { StockoutsCard } from "../components/StockoutsCard";
import { Badge, Card, ChartSkeleton, EmptyState, PageHeader, ProgressBar, Stat, cx } from "../components/ui";
import { useQuery, useTitle, type Query } from "../hooks";
import {
  formatCompactMoney,
  formatDate,
  formatMoney,
  formatNumber,
  formatPercent,
  formatSignedMoney,
  formatSignedPercent,
} from "../lib/format";
import { isJobSettled, overallProgress, statusLabel, statusTone } from "../lib/jobs";
import { priceChange, topOpportunities } from "../lib/pricing";
import { hasStockLevel, sortRows } from "../lib/table";
import { segmentColor, segmentMix } from "../lib/segments";
import { buildForecastChart, forecastTotal, periodChange, salesTotals } from "../lib/series";

function NotReady({ what }: { what: string }) {
  return <p className="text-sm text-slate-500">No {what} yet. They appear once your latest upload has been analysed.</p>;
}

function LatestJob() {
  const q = useQuery(() => jobs.list(1, 0), []);
  const job = q.data?.items[0];
  if (!job || isJobSettled(job)) return null;
  return (
    <Link
      to={`/app/jobs/${job.id}`}
      className="mb-6 block rounded-xl border border-indigo-200 bg-indigo-50 p-4 hover:bg-indigo-100"
    >
      <div className="flex items-center justify-between gap-3 text-sm">
        <span className="font-medium text-indigo-900">Analysing {job.filename ?? "your upload"}…</span>
        <Badge tone={statusTone(job.status)}>{statusLabel(job.status)}</Badge>
      </div>
      <div className="mt-2">
        <ProgressBar value={overallProgress(job)} label="Analysis progress" />
      </div>
    </Link>
  );
}

type Metric = "revenue" | "units";

function MetricToggle({ metric, onChange }: { metric: Metric; onChange: (m: Metric) => void }) {
  return (
    <div role="group" aria-label="Metric" className="inline-flex rounded-lg bg-slate-100 p-0.5 text-xs font-medium">
      {(["revenue", "units"] as const).map((m) => (
        <button
          key={m}
          type="button"
          aria-pressed={metric === m}
          onClick={() => onChange(m)}
          className={cx("rounded-md px-2.5 py-1", metric === m ? "bg-white text-slate-900 shadow-sm" : "text-slate-600")}
        >
          {m === "revenue" ? "Revenue" : "Units"}
        </button>
      ))}
    </div>
  );
}

function SalesCard({ salesQ }: { salesQ: Query<SalesTimeseries> }) {
  const [metric, setMetric] = useState<Metric>("revenue");
  return (
    <Card className="lg:col-span-2" title="Sales" testId="card-sales" actions={<MetricToggle metric={metric} onChange={setMetric} />}>
      <QueryView query={salesQ} loading={<ChartSkeleton />}>
        {(data) => {
          const totals = salesTotals(data.points);
          const change = periodChange(data.points, metric, 28);
          return (
            <>
              <div className="mb-4 grid grid-cols-2 gap-4">
                <Stat
                  label="Revenue"
                  value={formatMoney(totals.revenue)}
                  raw={totals.revenue}
                  testId="overview-revenue"
                  hint={`${formatDate(totals.start)} – ${formatDate(totals.end)}`}
                />
                <Stat label="Units sold" value={formatNumber(totals.units)} raw={totals.units} testId="overview-units" hint={change === null ? undefined : `${formatSignedPercent(change)} ${metric} in the last 28 days vs the 28 before`} />
              </div>
              <SalesChart points={data.points} metric={metric} />
            </>
          );
        }}
      </QueryView>
    </Card>
  );
}

function ForecastCard({ totalQ, salesQ }: { totalQ: Query<Page<AggregateForecast>>; salesQ: Query<SalesTimeseries> }) {
  return (
    <Card title="Next 4 weeks forecast" to="/app/forecast" linkLabel="Explore" testId="card-forecast">
      <QueryView query={totalQ} loading={<ChartSkeleton height={180} />} notReady={<NotReady what="forecasts" />}>
        {(page) => {
          const item = page.items[0];
          if (!item) return <NotReady what="forecasts" />;
          const total = forecastTotal(item.points, 28);
          const rows = buildForecastChart(salesQ.data?.points ?? [], item.points.slice(0, total.points), 56);
          return (
            <>
              <Stat
                label="Expected units"
                value={formatNumber(total.p50)}
                raw={total.p50}
                testId="overview-forecast-p50"
                hint={
                  <>
                    Likely between <span data-testid="overview-forecast-p10">{formatNumber(total.p10)}</span> and{" "}
                    <span data-testid="overview-forecast-p90">{formatNumber(total.p90)}</span> (sum of daily 10th–90th
                    percentiles, a cautious range) · {formatDate(total.start)} – {formatDate(total.end)}
                  </>
                }
              />
              <div className="mt-3">
                <ForecastChart rows={rows} height={180} />
              </div>
            </>
          );
        }}
      </QueryView>
    </Card>
  );
}

function StockAtRiskCard(props: { invQ: Query<InventorySummary>; stockKnown: boolean; topItems: InventoryRecommendation[] }) {
  const { invQ, stockKnown, topItems } = props;
  return (
    <Card title="Stock at risk" to="/app/inventory" linkLabel="Inventory" testId="card-inventory">
      <QueryView query={invQ} notReady={<NotReady what="stock recommendations" />}>
        {(summary) => (
          <>
            <div className="grid grid-cols-2 gap-4">
              {/* Without stock on hand, risk and stock values are unknown, not zero. */}
              <Stat label="Items at risk" value={stockKnown ? formatNumber(summary.items_at_risk) : "—"} raw={stockKnown ? summary.items_at_risk : null} testId="overview-items-at-risk" hint={`of ${formatNumber(summary.items)} items`} />
              <Stat label="Excess stock value" value={stockKnown ? formatCompactMoney(summary.excess_value) : "—"} raw={stockKnown ? summary.excess_value : null} testId="overview-excess-value" hint={stockKnown ? `stock value ${formatCompactMoney(summary.stock_value)}` : "needs stock on hand"} />
            </div>
            {!stockKnown && topItems.length > 0 && (
              <p className="mt-3 text-xs text-amber-800" data-testid="overview-no-stock">Stock on hand is unknown, so risk cannot be measured yet: the largest reorder points below.</p>
            )}
            {topItems.length > 0 && (
              <ul className="mt-4 divide-y divide-slate-100 text-sm">
                {topItems.map((r) => (
                  <li key={`${r.store}/${r.sku}`} className="flex items-center justify-between gap-2 py-2">
                    <span className="min-w-0 truncate">
                      <span className="font-medium">{r.sku}</span> <span className="text-slate-500">· {r.store}</span>
                    </span>
                    <span className="shrink-0 text-slate-600">
                      {r.order_quantity === null || r.order_quantity === undefined
                        ? `reorder at ${formatNumber(r.reorder_point)}`
                        : `order ${formatNumber(r.order_quantity)}`}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </QueryView>
    </Card>
  );
}

function PricingCard({ priceQ }: { priceQ: Query<Page<PriceSuggestion>> }) {
  return (
    <Card title="Top pricing opportunities" to="/app/pricing" linkLabel="Pricing" testId="card-pricing">
      <QueryView query={priceQ} notReady={<NotReady what="price suggestions" />}>
        {(page) => {
          const top = topOpportunities(page.items, 5);
          if (top.length === 0) return <p className="text-sm text-slate-500">No price change is expected to raise profit right now.</p>;
          return (
            <ul className="divide-y divide-slate-100 text-sm" data-testid="overview-top-pricing">
              {top.map((s) => (
                <li key={`${s.store}/${s.sku}`} className="flex items-center justify-between gap-2 py-2">
                  <span className="min-w-0">
                    <span className="block truncate">
                      <span className="font-medium">{s.sku}</span> <span className="text-slate-500">· {s.store}</span>
                    </span>
                    <span className="block truncate text-xs text-slate-500">
                      {formatMoney(s.current_price)} → {formatMoney(s.suggested_price)} ({formatSignedPercent(priceChange(s))})
                    </span>
                  </span>
                  <span className="shrink-0 font-medium text-emerald-700" data-value={s.expected_profit_change}>
                    {formatSignedMoney(s.expected_profit_change)}
                  </span>
                </li>
              ))}
            </ul>
          );
        }}
      </QueryView>
    </Card>
  );
}

function SegmentsCard({ segQ }: { segQ: Query<SegmentSummary> }) {
  return (
    <Card title="Customer segments" to="/app/customers" linkLabel="Customers" testId="card-segments" className="lg:col-span-3">
      <QueryView query={segQ} notReady={<NotReady what="customer segments" />}>
        {(summary) => {
          if (summary.segments.length === 0) return <NotReady what="customer segments" />;
          const mix = segmentMix(summary.segments);
          const names = mix.map((m) => m.name);
          return (
            <>
              <Stat label="Customers" value={formatNumber(summary.total_customers)} raw={summary.total_customers} testId="overview-customers" />
              <div className="mt-3 flex h-3 w-full overflow-hidden rounded-full" aria-hidden="true">
                {mix.map((m) => (
                  <div key={m.name} style={{ width: `${m.customerShare * 100}%`, background: segmentColor(m.name, names) }} />
                ))}
              </div>
              <ul className="mt-3 grid gap-x-8 gap-y-1 text-sm sm:grid-cols-2 lg:grid-cols-3">
                {mix.map((m) => (
                  <li key={m.name} className="flex items-center justify-between gap-2">
                    <span className="flex min-w-0 items-center gap-2">
                      <span className="h-2.5 w-2.5 shrink-0 rounded-full" style={{ background: segmentColor(m.name, names) }} />
                      <span className="truncate">{m.name}</span>
                    </span>
                    <span className="shrink-0 tabular-nums text-slate-600">
                      {formatNumber(m.customers)} · {formatPercent(m.revenueShare, 0)} of revenue
                    </span>
                  </li>
                ))}
              </ul>
            </>
          );
        }}
      </QueryView>
    </Card>
  );
}

function NoSalesYet() {
  return (
    <EmptyState
      title="Upload your sales history to get started"
      action={
        <Link to="/app/upload" className="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700">
          Upload sales
        </Link>
      }
    >
      A CSV with one row per sale (date, product, quantity, price; store and customer are optional). We detect
      the columns, forecast demand, suggest prices and reorder points, and group your customers.
    </EmptyState>
  );
}

export default function Overview() {
  useTitle("Overview");
  const salesQ = useQuery(() => sales.timeseries({ freq: "D" }), []);
  const totalQ = useQuery(() => forecasts.aggregate("total"), []);
  const invQ = useQuery(() => inventory.summary(), []);
  // Enough rows to rank by reorder point when no stock on hand is known (no urgency then).
  const urgentQ = useQuery(() => inventory.list({ sort: "urgency", limit: 500 }), []);
  const stockKnown = urgentQ.data?.items.some(hasStockLevel) ?? true;
  const topItems = urgentQ.data ? (stockKnown ? urgentQ.data.items : sortRows(urgentQ.data.items, "reorder_point", "desc")).slice(0, 5) : [];
  const priceQ = useQuery(() => pricing.list({ limit: 500 }), []);
  const segQ = useQuery(() => segments.summary(), []);

  const noSales = salesQ.data !== undefined && salesQ.data.points.length === 0;
  // The loss window ends on the last day of sales (today when sales cannot be read).
  const lastSale = salesQ.data ? salesTotals(salesQ.data.points).end : null;
  const lossUntil = lastSale ?? (salesQ.error ? new Date().toISOString().slice(0, 10) : null);

  return (
    <>
      <PageHeader title="Overview" subtitle="Your stores at a glance: sales, the next four weeks, stock, prices and customers." />
      <LatestJob />
      {noSales ? (
        <NoSalesYet />
      ) : (
        <div className="grid gap-4 lg:grid-cols-3 lg:gap-6">
          <SalesCard salesQ={salesQ} />
          <ForecastCard totalQ={totalQ} salesQ={salesQ} />
          <StockAtRiskCard invQ={invQ} stockKnown={stockKnown} topItems={topItems} />
          <StockoutsCard until={lossUntil} />
          <PricingCard priceQ={priceQ} />
          <SegmentsCard segQ={segQ} />
        </div>
      )}
    </>
  );
}
