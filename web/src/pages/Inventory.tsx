// Inventory: what to order, what is at risk of running out, and what is overstocked.
import { Fragment, useMemo, useState } from "react";
import { inventory } from "../api/endpoints";
import type { InventoryRecommendation } from "../api/types";
import { QueryView } from "../components/QueryView";
import { StoreSelect } from "../components/StoreSelect";
import { Badge, Button, Card, EmptyState, ErrorBox, Field, PageHeader, SortHeader, Stat, cx, inputClass } from "../components/ui";
import { useDebounced, useQuery, useTitle } from "../hooks";
import { formatCompactMoney, formatDate, formatDecimal, formatMoney, formatNumber, formatPercent } from "../lib/format";
import type { Tone } from "../lib/jobs";
import { itemStockoutSentence, itemStockoutText } from "../lib/stockouts";
import { demandSourceText, filterInventory, hasStockLevel, nextSort, priorityLabel, riskLevel, sortRows, type SortDir } from "../lib/table";

type Column = "urgency" | "sku" | "days_of_cover" | "order_quantity" | "reorder_point" | "stockout_risk" | "excess_value" | "stockout_cost";
/** A row with its stock-outs' lost revenue at the top level, so the table can sort by it. */
type Row = InventoryRecommendation & { stockout_cost: number | null };
const LIMIT = 500;

const RISK_TONE: Record<ReturnType<typeof riskLevel>, Tone> = { high: "red", medium: "amber", low: "green", unknown: "slate" };

export default function Inventory() {
  useTitle("Inventory");
  const [store, setStore] = useState("");
  const [urgentOnly, setUrgentOnly] = useState(false);
  const [search, setSearch] = useState("");
  const [toOrderOnly, setToOrderOnly] = useState(false);
  const [minRisk, setMinRisk] = useState(0);
  const [sort, setSort] = useState<{ key: Column; dir: SortDir }>({ key: "urgency", dir: "asc" });
  const [open, setOpen] = useState<string | null>(null);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const dStore = useDebounced(store.trim());

  const summaryQ = useQuery(() => inventory.summary(), []);
  const listQ = useQuery(() => inventory.list({ store: dStore, urgentOnly, sort: "urgency", limit: LIMIT }), [dStore, urgentOnly]);

  // Without any stock on hand there is no order priority: the list is ranked by what is known,
  // the reorder point (demand over lead time and review period, plus safety stock), largest first.
  const stockKnown = listQ.data ? listQ.data.items.some(hasStockLevel) : true;
  const shown: { key: Column; dir: SortDir } = sort.key === "urgency" && !stockKnown ? { key: "reorder_point", dir: "desc" } : sort;
  const rows = useMemo(() => {
    const items = listQ.data?.items ?? [];
    const filtered = filterInventory(items, { search, toOrderOnly, minRisk });
    const withCost: Row[] = filtered.map((r) => ({ ...r, stockout_cost: r.stockouts ? r.stockouts.lost_revenue : null }));
    return sortRows<Row>(withCost, shown.key, shown.dir);
  }, [listQ.data, search, toOrderOnly, minRisk, shown.key, shown.dir]);

  const onSort = (column: Column) =>
    setSort(nextSort(shown, column, column === "urgency" || column === "sku" || column === "days_of_cover" ? "asc" : "desc"));

  return (
    <>
      <PageHeader
        title="Inventory"
        subtitle="Reorder suggestions from the demand forecast, with the risk of running out before the next delivery."
        actions={
          <Button
            variant="secondary"
            onClick={() => {
              setDownloadError(null);
              inventory.downloadCsv({ store: dStore, urgentOnly, sort: "urgency" }).catch((e: Error) => setDownloadError(e.message));
            }}
          >
            Download purchase order (CSV)
          </Button>
        }
      />
      {downloadError && <div className="mb-4"><ErrorBox message={downloadError} /></div>}

      <QueryView query={summaryQ} notReady={null} loading={<div className="mb-6 h-20" />}>
        {(s) => (
          <Card className="mb-6" testId="inventory-summary">
            <div className="grid grid-cols-2 gap-4 sm:grid-cols-5">
              {/* Without stock on hand these are unknown, not zero. */}
              <Stat label="Items at risk" value={stockKnown ? formatNumber(s.items_at_risk) : "—"} raw={stockKnown ? s.items_at_risk : null} testId="inv-items-at-risk" />
              <Stat label="Orders due" value={stockKnown ? formatNumber(s.orders_due) : "—"} raw={stockKnown ? s.orders_due : null} testId="inv-orders-due" />
              <Stat label="Stock value" value={stockKnown ? formatCompactMoney(s.stock_value) : "—"} raw={stockKnown ? s.stock_value : null} testId="inv-stock-value" />
              <Stat label="Excess value" value={stockKnown ? formatCompactMoney(s.excess_value) : "—"} raw={stockKnown ? s.excess_value : null} testId="inv-excess-value" />
              <Stat label="Items" value={formatNumber(s.items)} raw={s.items} testId="inv-items" />
            </div>
          </Card>
        )}
      </QueryView>

      <Card>
        <div className="mb-4 grid grid-cols-2 gap-3 md:grid-cols-5">
          <Field label="Search" htmlFor="inv-search" className="col-span-2 md:col-span-1">
            <input id="inv-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="SKU or supplier" className={inputClass} />
          </Field>
          <StoreSelect id="inv-store" value={store} onChange={setStore} />
          <Field label="Stockout risk at least" htmlFor="inv-risk">
            <select id="inv-risk" value={minRisk} onChange={(e) => setMinRisk(Number(e.target.value))} className={inputClass}>
              {[0, 0.1, 0.25, 0.5, 0.75].map((v) => (
                <option key={v} value={v}>{v === 0 ? "Any" : formatPercent(v, 0)}</option>
              ))}
            </select>
          </Field>
          <div className="col-span-2 flex flex-wrap items-end gap-x-4 md:col-span-2">
            <label className="flex min-h-10 items-center gap-2 text-sm text-slate-700">
              <input type="checkbox" checked={toOrderOnly} onChange={(e) => setToOrderOnly(e.target.checked)} className="h-4 w-4" />
              Only items to order
            </label>
            <label className="flex min-h-10 items-center gap-2 text-sm text-slate-700">
              <input type="checkbox" checked={urgentOnly} onChange={(e) => setUrgentOnly(e.target.checked)} className="h-4 w-4" />
              Urgent only
            </label>
          </div>
        </div>

        <QueryView query={listQ} notReady={<EmptyState title="No stock recommendations yet">Upload sales and they appear once the forecast is ready.</EmptyState>}>
          {(page) =>
            page.items.length === 0 ? (
              <EmptyState title="Nothing to show">No item matches, or no recommendations were made yet.</EmptyState>
            ) : (
              <>
                {page.items.every((r) => r.on_hand === null || r.on_hand === undefined) && (
                  <div className="mb-4 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900" data-testid="no-stock-levels">
                    We do not know your stock on hand yet, so these are target levels (reorder point and order-up-to) rather
                    than order quantities. Add current stock levels to get how much to order and the risk of running out.{" "}
                    <span data-testid="no-priority">
                      Without stock levels there is no order priority (the Priority column stays empty): items are listed by
                      reorder point, the demand expected over the lead time and review period plus safety stock, largest first.
                    </span>
                  </div>
                )}
                <p className="mb-2 text-xs text-slate-500" aria-live="polite">
                  Showing {formatNumber(rows.length)} of {formatNumber(page.total)} items
                  {page.total > page.items.length ? ` (the ${formatNumber(page.items.length)} most urgent are loaded; the CSV has all)` : ""}.
                </p>
                <div className="relative -mx-4 overflow-x-auto sm:mx-0">
                  <table className="min-w-full text-sm" data-testid="inventory-table">
                    <caption className="sr-only">Inventory recommendations, sortable by column</caption>
                    <thead className="border-b border-slate-200 text-slate-600">
                      <tr>
                        <SortHeader label="Item" column="sku" sort={shown} onSort={onSort} />
                        <SortHeader label="Priority" column="urgency" sort={shown} onSort={onSort} className="hidden sm:table-cell" />
                        <SortHeader label="Order" column="order_quantity" sort={shown} onSort={onSort} align="right" />
                        <th scope="col" className="hidden px-3 py-2 text-right font-medium md:table-cell">On hand</th>
                        <SortHeader label="Reorder point" column="reorder_point" sort={shown} onSort={onSort} align="right" className="hidden md:table-cell" />
                        <SortHeader label="Days of cover" column="days_of_cover" sort={shown} onSort={onSort} align="right" className="hidden sm:table-cell" />
                        <SortHeader label="Stockout risk" column="stockout_risk" sort={shown} onSort={onSort} align="right" />
                        <SortHeader label="Excess value" column="excess_value" sort={shown} onSort={onSort} align="right" className="hidden sm:table-cell" />
                        <SortHeader label="Ran out (1 yr)" column="stockout_cost" sort={shown} onSort={onSort} align="right" className="hidden sm:table-cell" />
                        <th scope="col" className="px-3 py-2"><span className="sr-only">Details</span></th>
                      </tr>
                    </thead>
                    <tbody className="divide-y divide-slate-100">
                      {rows.map((r) => {
                        const id = `${r.store}/${r.sku}`;
                        const expanded = open === id;
                        return (
                          <Fragment key={id}>
                            <tr data-testid="inventory-row" data-store={r.store} data-sku={r.sku} className={cx(expanded && "bg-slate-50")}>
                              <td className="px-3 py-2">
                                <div className="font-medium text-slate-900">{r.sku}</div>
                                <div className="text-xs text-slate-500">{r.store}{r.supplier ? ` · ${r.supplier}` : ""}</div>
                                {(r.stockouts?.count ?? 0) > 0 && (
                                  <div className="text-xs text-red-700 sm:hidden" data-col="stockouts-phone">Ran out {itemStockoutText(r.stockouts)}</div>
                                )}
                              </td>
                              <td className="hidden px-3 py-2 sm:table-cell" data-col="urgency">
                                {hasStockLevel(r) ? (
                                  <Badge tone={RISK_TONE[riskLevel(r.stockout_risk)]}>{priorityLabel(r)}</Badge>
                                ) : (
                                  <span className="text-slate-400" title="No priority without stock on hand">{priorityLabel(r)}</span>
                                )}
                              </td>
                              <td className="px-3 py-2 text-right font-semibold tabular-nums" data-col="order_quantity">{formatNumber(r.order_quantity)}</td>
                              <td className="hidden px-3 py-2 text-right tabular-nums md:table-cell">{formatNumber(r.on_hand)}</td>
                              <td className="hidden px-3 py-2 text-right tabular-nums md:table-cell" data-col="reorder_point">{formatNumber(r.reorder_point)}</td>
                              <td className="hidden px-3 py-2 text-right tabular-nums sm:table-cell" data-col="days_of_cover">{formatDecimal(r.days_of_cover, 1)}</td>
                              <td className="px-3 py-2 text-right tabular-nums" data-col="stockout_risk">{formatPercent(r.stockout_risk, 0)}</td>
                              <td className="hidden px-3 py-2 text-right tabular-nums sm:table-cell" data-col="excess_value">{formatMoney(r.excess_value)}</td>
                              <td className={cx("hidden px-3 py-2 text-right tabular-nums sm:table-cell", (r.stockouts?.count ?? 0) > 0 && "text-red-700")} data-col="stockouts">
                                {itemStockoutText(r.stockouts)}
                              </td>
                              <td className="px-3 py-2 text-right">
                                <button
                                  type="button"
                                  aria-expanded={expanded}
                                  aria-controls={`inv-${id}`}
                                  onClick={() => setOpen(expanded ? null : id)}
                                  className="rounded px-2 py-1 text-xs font-medium text-indigo-600 hover:bg-indigo-50"
                                >
                                  {expanded ? "Hide" : "Why?"}
                                </button>
                              </td>
                            </tr>
                            {expanded && (
                              <tr id={`inv-${id}`} className="bg-slate-50">
                                <td colSpan={10} className="px-3 pb-4 pt-1">
                                  <p className="text-sm text-slate-700" data-testid="inventory-explanation">{r.explanation}</p>
                                  <dl className="mt-2 grid grid-cols-2 gap-x-6 gap-y-1 text-xs text-slate-600 sm:grid-cols-4">
                                    <div><dt className="inline">Priority: </dt><dd className="inline tabular-nums">{priorityLabel(r)}</dd></div>
                                    <div><dt className="inline">Days of cover: </dt><dd className="inline tabular-nums">{formatDecimal(r.days_of_cover, 1)}</dd></div>
                                    <div><dt className="inline">On hand: </dt><dd className="inline tabular-nums">{formatNumber(r.on_hand)}</dd></div>
                                    <div><dt className="inline">On order: </dt><dd className="inline tabular-nums">{formatNumber(r.on_order)}</dd></div>
                                    <div><dt className="inline">Reorder point: </dt><dd className="inline tabular-nums">{formatNumber(r.reorder_point)}</dd></div>
                                    <div><dt className="inline">Safety stock: </dt><dd className="inline tabular-nums">{formatNumber(r.safety_stock)}</dd></div>
                                    <div><dt className="inline">Order up to: </dt><dd className="inline tabular-nums">{formatNumber(r.order_up_to)}</dd></div>
                                    <div><dt className="inline">Stockout expected: </dt><dd className="inline">{formatDate(r.expected_stockout_date)}</dd></div>
                                    <div><dt className="inline">Excess units: </dt><dd className="inline tabular-nums">{formatNumber(r.excess_units)}</dd></div>
                                    <div><dt className="inline">Excess value: </dt><dd className="inline tabular-nums">{formatMoney(r.excess_value)}</dd></div>
                                    <div className="col-span-2"><dt className="inline">Stock-outs: </dt><dd className="inline" data-testid="inventory-stockouts">{itemStockoutSentence(r.stockouts)}</dd></div>
                                    <div className="col-span-2"><dt className="inline">Demand from: </dt><dd className="inline" data-testid="inventory-demand-source">{demandSourceText(r.demand_source, r.demand_class)}</dd></div>
                                  </dl>
                                </td>
                              </tr>
                            )}
                          </Fragment>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              </>
            )
          }
        </QueryView>
      </Card>
    </>
  );
}
