// Pricing: suggested prices with their elasticity evidence, and a what-if slider per product.
import { useEffect, useMemo, useState } from "react";
import { pricing } from "../api/endpoints";
import type { PriceSimulation, PriceSuggestion } from "../api/types";
import { QueryView } from "../components/QueryView";
import { StoreSelect } from "../components/StoreSelect";
import { Badge, Card, EmptyState, ErrorBox, Field, PageHeader, Pager, SortHeader, cx, inputClass } from "../components/ui";
import { useDebounced, useQuery, useTitle } from "../hooks";
import { formatDecimal, formatMoney, formatNumber, formatSignedMoney, formatSignedPercent } from "../lib/format";
import { elasticityInterval, elasticityWords, priceChange, sliderRange } from "../lib/pricing";
import { nextSort, sortRows, type SortDir } from "../lib/table";

type Column = "sku" | "expected_profit_change" | "expected_revenue_change" | "elasticity";
const LIMIT = 50;

function confidenceTone(confidence: string | null | undefined): "green" | "amber" | "slate" {
  const level = (confidence ?? "").toLowerCase();
  return level === "high" ? "green" : level === "medium" ? "amber" : "slate";
}

function signedNumber(value: number): string {
  const text = formatDecimal(Math.abs(value), 1);
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

type Priced = PriceSuggestion & { current_price: number; suggested_price: number };

function hasPrices(s: PriceSuggestion): s is Priced {
  return typeof s.current_price === "number" && typeof s.suggested_price === "number";
}

/** The current price stands in for the suggestion when the engine chose to keep it. */
function priced(s: PriceSuggestion): Priced | null {
  if (typeof s.current_price !== "number") return null;
  return hasPrices(s) ? s : { ...s, current_price: s.current_price, suggested_price: s.current_price };
}

function WhatIf({ suggestion }: { suggestion: Priced }) {
  const range = sliderRange(suggestion.current_price, suggestion.suggested_price);
  const [price, setPrice] = useState(suggestion.suggested_price);
  const settled = useDebounced(price, 250);
  const [result, setResult] = useState<PriceSimulation | null>(null);
  const [baseline, setBaseline] = useState<PriceSimulation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const inputId = `whatif-${suggestion.store}-${suggestion.sku}`;

  useEffect(() => {
    pricing.simulate(suggestion.store, suggestion.sku, suggestion.current_price).then(setBaseline, () => setBaseline(null));
  }, [suggestion.store, suggestion.sku, suggestion.current_price]);

  useEffect(() => {
    const controller = new AbortController();
    pricing
      .simulate(suggestion.store, suggestion.sku, settled, controller.signal)
      .then((r) => {
        setResult(r);
        setError(null);
      })
      .catch((err: Error) => {
        if (err.name !== "AbortError") setError(err.message);
      });
    return () => controller.abort();
  }, [suggestion.store, suggestion.sku, settled]);

  const delta = (key: "expected_units" | "expected_revenue" | "expected_profit") =>
    result && baseline ? result[key] - baseline[key] : null;

  return (
    <div className="rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid="whatif">
      <label htmlFor={inputId} className="flex items-baseline justify-between text-sm font-medium text-slate-700">
        <span>What if the price were… <span className="font-normal text-slate-500">(expected per week)</span></span>
        <span className="text-lg font-semibold tabular-nums text-slate-900" data-testid="whatif-price">{formatMoney(price)}</span>
      </label>
      <input
        id={inputId}
        type="range"
        min={range.min}
        max={range.max}
        step={range.step}
        value={price}
        onChange={(e) => setPrice(Number(e.target.value))}
        className="mt-2 w-full accent-indigo-600"
        aria-valuetext={formatMoney(price)}
      />
      <div className="flex justify-between text-xs text-slate-500">
        <span>{formatMoney(range.min)}</span>
        <span>current {formatMoney(suggestion.current_price)} · suggested {formatMoney(suggestion.suggested_price)}</span>
        <span>{formatMoney(range.max)}</span>
      </div>
      {error && <div className="mt-3"><ErrorBox message={error} /></div>}
      <dl className="mt-4 grid grid-cols-3 gap-3 text-sm" aria-live="polite">
        {(
          [
            ["Units", "expected_units", (v: number) => formatNumber(v)],
            ["Revenue", "expected_revenue", (v: number) => formatMoney(v)],
            ["Profit", "expected_profit", (v: number) => formatMoney(v)],
          ] as const
        ).map(([label, key, fmt]) => {
          const d = delta(key);
          return (
            <div key={key}>
              <dt className="text-xs uppercase tracking-wide text-slate-500">Expected {label.toLowerCase()}</dt>
              <dd className="mt-1 font-semibold tabular-nums" data-testid={`whatif-${key}`} data-value={result?.[key]}>
                {result ? fmt(result[key]) : "…"}
              </dd>
              {d !== null && (
                <dd className={cx("text-xs tabular-nums", d > 0 ? "text-emerald-700" : d < 0 ? "text-red-700" : "text-slate-500")}>
                  {key === "expected_units" ? signedNumber(d) : formatSignedMoney(d)} vs now
                </dd>
              )}
            </div>
          );
        })}
      </dl>
    </div>
  );
}

/** One suggestion's row, and below it when expanded, its explanation and what-if slider. */
function PricingRow({ suggestion: s, expanded, onToggle }: { suggestion: PriceSuggestion; expanded: boolean; onToggle: () => void }) {
  const id = `${s.store}/${s.sku}`;
  const interval = elasticityInterval(s.elasticity_ci);
  const change = priceChange(s);
  return (
    <>
      <tr data-testid="pricing-row" data-store={s.store} data-sku={s.sku}>
        <td className="px-3 py-2">
          <div className="font-medium text-slate-900">{s.sku}</div>
          <div className="text-xs text-slate-500">{s.store}</div>
        </td>
        <td className="whitespace-nowrap px-3 py-2 text-right tabular-nums">
          <div data-col="suggested_price">
            {s.suggested_price === null || s.suggested_price === s.current_price ? (
              <>
                <span className="font-semibold">{formatMoney(s.current_price)}</span> <span className="text-slate-500">keep</span>
              </>
            ) : (
              <>
                <span className="text-slate-500">{formatMoney(s.current_price)} →</span> <span className="font-semibold">{formatMoney(s.suggested_price)}</span>
              </>
            )}
          </div>
          <div className="text-xs text-slate-500">{change === null ? "" : formatSignedPercent(change)}</div>
        </td>
        <td className="hidden whitespace-nowrap px-3 py-2 text-right tabular-nums sm:table-cell">
          <div data-col="elasticity">{formatDecimal(s.elasticity)}</div>
          <div className="text-xs text-slate-500">
            {interval ? `${formatDecimal(interval[0])} to ${formatDecimal(interval[1])}` : "no interval"}
          </div>
        </td>
        <td className={cx("whitespace-nowrap px-3 py-2 text-right font-semibold tabular-nums", (s.expected_profit_change ?? 0) >= 0 ? "text-emerald-700" : "text-red-700")} data-col="expected_profit_change">
          {formatSignedMoney(s.expected_profit_change)}
        </td>
        <td className="hidden whitespace-nowrap px-3 py-2 text-right tabular-nums md:table-cell">{formatSignedMoney(s.expected_revenue_change)}</td>
        <td className="hidden px-3 py-2 lg:table-cell">
          <Badge tone={confidenceTone(s.confidence)}>{s.confidence ?? "—"}</Badge>
        </td>
        <td className="px-3 py-2 text-right">
          <button
            type="button"
            aria-expanded={expanded}
            aria-controls={`pr-${id}`}
            onClick={onToggle}
            className="whitespace-nowrap rounded px-2 py-1 text-xs font-medium text-indigo-600 hover:bg-indigo-50"
          >
            {expanded ? "Close" : "What if?"}
          </button>
        </td>
      </tr>
      {expanded && (
        <tr id={`pr-${id}`} className="bg-slate-50">
          <td colSpan={7} className="px-3 pb-4 pt-2">
            <p className="mb-1 text-sm text-slate-700">{s.explanation}</p>
            <p className="mb-3 text-xs text-slate-500">
              Elasticity {formatDecimal(s.elasticity)}
              {interval ? ` (range ${formatDecimal(interval[0])} to ${formatDecimal(interval[1])})` : ""}:{" "}
              {elasticityWords(s.elasticity, s.elasticity_ci).toLowerCase()}.
              {typeof s.expected_units_change === "number" ? ` Expected units ${formatSignedPercent(s.expected_units_change)}.` : ""}
            </p>
            {priced(s) ? (
              <WhatIf suggestion={priced(s) as Priced} />
            ) : (
              <p className="text-sm text-slate-500">No price to simulate for this product.</p>
            )}
          </td>
        </tr>
      )}
    </>
  );
}

export default function Pricing() {
  useTitle("Pricing");
  const [store, setStore] = useState("");
  const [sku, setSku] = useState("");
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: Column; dir: SortDir }>({ key: "expected_profit_change", dir: "desc" });
  const dStore = useDebounced(store.trim());
  const dSku = useDebounced(sku.trim());
  const q = useQuery(() => pricing.list({ store: dStore, sku: dSku, limit: LIMIT, offset }), [dStore, dSku, offset]);
  useEffect(() => setOffset(0), [dStore, dSku]);

  const rows = useMemo(() => sortRows<PriceSuggestion>(q.data?.items ?? [], sort.key, sort.dir), [q.data, sort]);
  const onSort = (column: Column) => setSort(nextSort(sort, column, column === "sku" ? "asc" : "desc"));

  return (
    <>
      <PageHeader
        title="Pricing"
        subtitle="Price changes expected to raise profit, based on how demand for each product has reacted to past price changes."
      />
      <Card>
        <div className="mb-4 grid grid-cols-2 gap-3 sm:max-w-md">
          <StoreSelect id="pr-store" value={store} onChange={setStore} />
          <Field label="Product (SKU)" htmlFor="pr-sku" hint="The exact product code">
            <input id="pr-sku" type="search" value={sku} onChange={(e) => setSku(e.target.value)} placeholder="All products" className={inputClass} />
          </Field>
        </div>
        <QueryView query={q} notReady={<EmptyState title="No price suggestions yet">They appear once your sales have been analysed.</EmptyState>}>
          {(page) =>
            page.items.length === 0 ? (
              <EmptyState title="No price suggestions">
                None match, or there is not enough price variation in your history to estimate how demand responds.
              </EmptyState>
            ) : (
              <>
                <div className="relative -mx-4 overflow-x-auto sm:mx-0">
                  <table className="min-w-full text-sm" data-testid="pricing-table" data-total={page.total}>
                    <caption className="sr-only">Price suggestions, sortable by column</caption>
                    <thead className="border-b border-slate-200 text-slate-600">
                      <tr>
                        <SortHeader label="Item" column="sku" sort={sort} onSort={onSort} />
                        <th scope="col" className="px-3 py-2 text-right font-medium">Price</th>
                        <SortHeader label="Elasticity (range)" column="elasticity" sort={sort} onSort={onSort} align="right" className="hidden sm:table-cell" />
                        <SortHeader label="Profit / week" column="expected_profit_change" sort={sort} onSort={onSort} align="right" />
                        <th scope="col" className="hidden px-3 py-2 text-right font-medium md:table-cell">Revenue / week</th>
                        <th scope="col" className="hidden px-3 py-2 text-left font-medium lg:table-cell">Confidence</th>
                        <th scope="col" className="px-3 py-2"><span className="sr-only">What if</span></th>
                      </tr>
                    </thead>
                    <tbody className="divide-y divide-slate-100">
                      {rows.map((s) => {
                        const id = `${s.store}/${s.sku}`;
                        const expanded = open === id;
                        return <PricingRow key={id} suggestion={s} expanded={expanded} onToggle={() => setOpen(expanded ? null : id)} />;
                      })}
                    </tbody>
                  </table>
                </div>
                <Pager offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} />
              </>
            )
          }
        </QueryView>
      </Card>
    </>
  );
}
