// Forecast explorer: per product or aggregated, history with the p50 forecast and its p10–p90 band.
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { forecasts, sales } from "../api/endpoints";
import type { AggregateForecast, AggregateLevel, ForecastAccuracy, SeriesForecast } from "../api/types";
import { ForecastChart } from "../components/charts";
import { DriversPanel } from "../components/DriversPanel";
import { OverlayNotes, useForecastRows, type OverlayScope } from "../components/ForecastOverlay";
import { QueryView } from "../components/QueryView";
import { StoreSelect } from "../components/StoreSelect";
import { Badge, Card, ChartSkeleton, EmptyState, Field, PageHeader, Pager, Stat, cx, inputClass } from "../components/ui";
import { useDebounced, useQuery, useTitle } from "../hooks";
import { formatDate, formatDecimal, formatNumber, formatPercent, formatSignedPercent } from "../lib/format";
import { forecastTotal, inferFrequency } from "../lib/series";

type Mode = "product" | AggregateLevel;
const MODES: { key: Mode; label: string }[] = [
  { key: "product", label: "Product" },
  { key: "store", label: "Store" },
  { key: "category", label: "Category" },
  { key: "total", label: "Total" },
];
const LIMIT = 20;

function AccuracyPanel({ accuracy }: { accuracy: ForecastAccuracy }) {
  return (
    <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4" data-testid="forecast-accuracy">
      <div>
        <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">WAPE</dt>
        <dd className="mt-1 text-lg font-semibold tabular-nums" data-testid="acc-wape">{formatPercent(accuracy.wape)}</dd>
        <dd className="text-xs text-slate-500">Typical error as a share of sales</dd>
      </div>
      <div>
        <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">MASE</dt>
        <dd className="mt-1 text-lg font-semibold tabular-nums" data-testid="acc-mase">{formatDecimal(accuracy.mase)}</dd>
        <dd className="text-xs text-slate-500">Below 1 beats “same as last period”</dd>
      </div>
      <div>
        <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Bias</dt>
        <dd className="mt-1 text-lg font-semibold tabular-nums" data-testid="acc-bias">{formatSignedPercent(accuracy.bias)}</dd>
        <dd className="text-xs text-slate-500">Positive means it over-forecasts</dd>
      </div>
      <div>
        <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">80% range hit</dt>
        <dd className="mt-1 text-lg font-semibold tabular-nums" data-testid="acc-coverage">{formatPercent(accuracy.coverage_80)}</dd>
        <dd className="text-xs text-slate-500">Ideal is 80%</dd>
      </div>
    </dl>
  );
}

function ForecastDetail(props: {
  title: string;
  forecast: SeriesForecast | AggregateForecast;
  history: { store?: string; sku?: string } | null;
  overlay: OverlayScope;
}) {
  const { forecast } = props;
  const freq = inferFrequency(forecast.points, "frequency" in forecast ? forecast.frequency : null);
  const historyQ = useQuery(
    () => (props.history ? sales.timeseries({ ...props.history, freq }) : Promise.resolve({ points: [] })),
    [props.history?.store, props.history?.sku, freq, props.history === null],
  );
  const total = forecastTotal(forecast.points, 28);
  const series = "accuracy" in forecast ? forecast : null;
  const overlay = useForecastRows(historyQ.data?.points, forecast.points, freq, props.overlay);
  return (
    <Card
      title={props.title}
      testId="forecast-detail"
      actions={series ? <Badge tone="blue">Model: <span className="ml-1 whitespace-normal break-all" data-testid="forecast-model">{series.model}</span></Badge> : undefined}
    >
      <div className="mb-4 grid grid-cols-1 gap-4 sm:grid-cols-3">
        <Stat label="Next 4 weeks (p50)" value={formatNumber(total.p50)} raw={total.p50} testId="forecast-total-p50" hint={`${formatDate(total.start)} – ${formatDate(total.end)}`} />
        <Stat label="Low (sum of p10)" value={formatNumber(total.p10)} raw={total.p10} testId="forecast-total-p10" />
        <Stat label="High (sum of p90)" value={formatNumber(total.p90)} raw={total.p90} testId="forecast-total-p90" />
      </div>
      {historyQ.loading && historyQ.data === undefined ? (
        <ChartSkeleton height={300} />
      ) : (
        <ForecastChart rows={overlay.rows} />
      )}
      <OverlayNotes stockoutPage={overlay.stockoutPage} events={overlay.events} />
      {!props.history && <p className="mt-2 text-xs text-slate-500">Sales history is not broken down by category, so only the forecast is shown.</p>}
      {series && <DriversPanel store={series.store} sku={series.sku} />}
      {series && (
        <div className="mt-5 border-t border-slate-100 pt-4">
          <h3 className="mb-3 text-sm font-semibold text-slate-700">Backtest accuracy</h3>
          <AccuracyPanel accuracy={series.accuracy} />
        </div>
      )}
    </Card>
  );
}

function ProductExplorer() {
  // ?store=&sku= (links from the overview's stock-outs) open that item.
  const [params] = useSearchParams();
  const [store, setStore] = useState(params.get("store") ?? "");
  const [sku, setSku] = useState(params.get("sku") ?? "");
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<SeriesForecast | null>(null);
  const dStore = useDebounced(store.trim());
  const dSku = useDebounced(sku.trim());
  const q = useQuery(() => forecasts.series({ store: dStore, sku: dSku, limit: LIMIT, offset }), [dStore, dSku, offset]);

  useEffect(() => setOffset(0), [dStore, dSku]);
  useEffect(() => {
    // Keep the chart on screen: default to the first match when the current choice leaves the list.
    const items = q.data?.items ?? [];
    if (!selected || !items.some((i) => i.store === selected.store && i.sku === selected.sku)) setSelected(items[0] ?? null);
  }, [q.data, selected]);

  return (
    <div className="grid gap-4 lg:grid-cols-3 lg:gap-6">
      <Card className="lg:col-span-1">
        <div className="grid grid-cols-2 gap-3 lg:grid-cols-1">
          <StoreSelect id="fc-store" value={store} onChange={setStore} />
          <Field label="Product (SKU)" htmlFor="fc-sku" hint="The exact product code">
            <input id="fc-sku" type="search" value={sku} onChange={(e) => setSku(e.target.value)} placeholder="Any product" className={inputClass} />
          </Field>
        </div>
        <div className="mt-4">
          <QueryView query={q}>
            {(page) =>
              page.items.length === 0 ? (
                <p className="text-sm text-slate-500">No forecast matches. Clear the search, or upload sales if you have not yet.</p>
              ) : (
                <>
                  <ul className="max-h-80 divide-y divide-slate-100 overflow-y-auto lg:max-h-[28rem]" data-testid="forecast-list" data-total={page.total}>
                    {page.items.map((item) => {
                      const active = selected?.store === item.store && selected?.sku === item.sku;
                      return (
                        <li key={`${item.store}/${item.sku}`}>
                          <button
                            type="button"
                            aria-pressed={active}
                            onClick={() => setSelected(item)}
                            className={cx("flex w-full items-center justify-between gap-2 rounded-md px-2 py-2 text-left text-sm", active ? "bg-indigo-50 text-indigo-800" : "hover:bg-slate-50")}
                          >
                            <span className="min-w-0 truncate">
                              <span className="font-medium">{item.sku}</span> <span className="text-slate-500">· {item.store}</span>
                            </span>
                            <span className="shrink-0 text-xs text-slate-500">{formatPercent(item.accuracy.wape, 0)} WAPE</span>
                          </button>
                        </li>
                      );
                    })}
                  </ul>
                  <Pager offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} />
                </>
              )
            }
          </QueryView>
        </div>
      </Card>
      <div className="min-w-0 lg:col-span-2">
        {selected ? (
          <ForecastDetail
            title={`${selected.sku} at ${selected.store}`}
            forecast={selected}
            history={{ store: selected.store, sku: selected.sku }}
            overlay={{ item: { store: selected.store, sku: selected.sku }, store: selected.store }}
          />
        ) : q.loading ? (
          <Card><ChartSkeleton height={360} /></Card>
        ) : null}
      </div>
    </div>
  );
}

function AggregateExplorer({ level }: { level: AggregateLevel }) {
  const q = useQuery(() => forecasts.aggregate(level), [level]);
  const [key, setKey] = useState<string>("");
  return (
    <QueryView query={q} loading={<Card><ChartSkeleton height={360} /></Card>}>
      {(page) => {
        if (page.items.length === 0) return <EmptyState title="No forecasts yet">They appear once an upload has been analysed.</EmptyState>;
        const current = page.items.find((i) => i.key === key) ?? page.items[0]!;
        const history = level === "total" ? {} : level === "store" ? { store: current.key } : null;
        return (
          <div className="space-y-4">
            {page.items.length > 1 && (
              <Field label={level === "store" ? "Store" : "Category"} htmlFor="agg-key" className="max-w-xs">
                <select id="agg-key" value={current.key} onChange={(e) => setKey(e.target.value)} className={inputClass}>
                  {page.items.map((i) => (
                    <option key={i.key} value={i.key}>{i.key}</option>
                  ))}
                </select>
              </Field>
            )}
            <ForecastDetail title={level === "total" ? "All stores and products" : `${level === "store" ? "Store" : "Category"} ${current.key}`} forecast={current} history={history} overlay={{ store: level === "store" ? current.key : null }} />
          </div>
        );
      }}
    </QueryView>
  );
}

export default function Forecast() {
  useTitle("Forecast");
  const [mode, setMode] = useState<Mode>("product");
  return (
    <>
      <PageHeader
        title="Forecast"
        subtitle="Expected units with a range: 8 times in 10, actual sales should land inside the shaded band. Stock-outs are shaded, with the demand the empty shelf hid; events are marked."
      />
      <div role="group" aria-label="Forecast level" className="mb-4 inline-flex rounded-lg bg-slate-100 p-1 text-sm font-medium">
        {MODES.map((m) => (
          <button
            key={m.key}
            type="button"
            aria-pressed={mode === m.key}
            onClick={() => setMode(m.key)}
            className={cx("rounded-md px-3 py-1.5", mode === m.key ? "bg-white text-slate-900 shadow-sm" : "text-slate-600 hover:text-slate-900")}
          >
            {m.label}
          </button>
        ))}
      </div>
      {mode === "product" ? <ProductExplorer /> : <AggregateExplorer key={mode} level={mode} />}
    </>
  );
}
