// Inventory: what to order, what is at risk of running out, and what is overstocked.
import { useMemo, useState } from "react";
import { inventory } from "../api/endpoints";
import type { InventoryRecommendation, InventorySummary } from "../api/types";
import { InventoryRow } from "../components/InventoryRow";
import { QueryView } from "../components/QueryView";
import { StoreSelect } from "../components/StoreSelect";
import { Button, Card, EmptyState, ErrorBox, Field, PageHeader, SortHeader, Stat, inputClass } from "../components/ui";
import { useDebounced, useQuery, useTitle } from "../hooks";
import { formatCompactMoney, formatNumber, formatPercent } from "../lib/format";
import { filterInventory, hasStockLevel, nextSort, sortRows, type SortDir } from "../lib/table";

type Column = "urgency" | "sku" | "days_of_cover" | "order_quantity" | "reorder_point" | "stockout_risk" | "excess_value" | "stockout_cost";
/** A row with its stock-outs' lost revenue at the top level, so the table can sort by it. */
type Row = InventoryRecommendation & { stockout_cost: number | null };
const LIMIT = 500;

/** The totals over every item; without stock on hand the stock figures are unknown, not zero. */
function SummaryCard({ summary: s, stockKnown }: { summary: InventorySummary; stockKnown: boolean }) {
  return (
    <Card className="mb-6" testId="inventory-summary">
      <div className="grid grid-cols-2 gap-4 sm:grid-cols-5">
        <Stat label="Items at risk" value={stockKnown ? formatNumber(s.items_at_risk) : "—"} raw={stockKnown ? s.items_at_risk : null} testId="inv-items-at-risk" />
        <Stat label="Orders due" value={stockKnown ? formatNumber(s.orders_due) : "—"} raw={stockKnown ? s.orders_due : null} testId="inv-orders-due" />
        <Stat label="Stock value" value={stockKnown ? formatCompactMoney(s.stock_value) : "—"} raw={stockKnown ? s.stock_value : null} testId="inv-stock-value" />
        <Stat label="Excess value" value={stockKnown ? formatCompactMoney(s.excess_value) : "—"} raw={stockKnown ? s.excess_value : null} testId="inv-excess-value" />
        <Stat label="Items" value={formatNumber(s.items)} raw={s.items} testId="inv-items" />
      </div>
    </Card>
  );
}

function NoStockLevels() {
  return (
    <div className="mb-4 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900" data-testid="no-stock-levels">
      We do not know your stock on hand yet, so these are target levels (reorder point and order-up-to) rather
      than order quantities. Add current stock levels to get how much to order and the risk of running out.{" "}
      <span data-testid="no-priority">
        Without stock levels there is no order priority (the Priority column stays empty): items are listed by
        reorder point, the demand expected over the lead time and review period plus safety stock, largest first.
      </span>
    </div>
  );
}

function Filters(props: {
  search: string;
  onSearch: (value: string) => void;
  store: string;
  onStore: (value: string) => void;
  minRisk: number;
  onMinRisk: (value: number) => void;
  toOrderOnly: boolean;
  onToOrderOnly: (value: boolean) => void;
  urgentOnly: boolean;
  onUrgentOnly: (value: boolean) => void;
}) {
  return (
    <div className="mb-4 grid grid-cols-2 gap-3 md:grid-cols-5">
      <Field label="Search" htmlFor="inv-search" className="col-span-2 md:col-span-1">
        <input id="inv-search" type="search" value={props.search} onChange={(e) => props.onSearch(e.target.value)} placeholder="SKU or supplier" className={inputClass} />
      </Field>
      <StoreSelect id="inv-store" value={props.store} onChange={props.onStore} />
      <Field label="Stockout risk at least" htmlFor="inv-risk">
        <select id="inv-risk" value={props.minRisk} onChange={(e) => props.onMinRisk(Number(e.target.value))} className={inputClass}>
          {[0, 0.1, 0.25, 0.5, 0.75].map((v) => (
            <option key={v} value={v}>{v === 0 ? "Any" : formatPercent(v, 0)}</option>
          ))}
        </select>
      </Field>
      <div className="col-span-2 flex flex-wrap items-end gap-x-4 md:col-span-2">
        <label className="flex min-h-10 items-center gap-2 text-sm text-slate-700">
          <input type="checkbox" checked={props.toOrderOnly} onChange={(e) => props.onToOrderOnly(e.target.checked)} className="h-4 w-4" />
          Only items to order
        </label>
        <label className="flex min-h-10 items-center gap-2 text-sm text-slate-700">
          <input type="checkbox" checked={props.urgentOnly} onChange={(e) => props.onUrgentOnly(e.target.checked)} className="h-4 w-4" />
          Urgent only
        </label>
      </div>
    </div>
  );
}

function TableHead(props: { sort: { key: Column; dir: SortDir }; onSort: (column: Column) => void }) {
  const { sort: shown, onSort } = props;
  return (
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
  );
}

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
        {(summary) => <SummaryCard summary={summary} stockKnown={stockKnown} />}
      </QueryView>

      <Card>
        <Filters
          search={search}
          onSearch={setSearch}
          store={store}
          onStore={setStore}
          minRisk={minRisk}
          onMinRisk={setMinRisk}
          toOrderOnly={toOrderOnly}
          onToOrderOnly={setToOrderOnly}
          urgentOnly={urgentOnly}
          onUrgentOnly={setUrgentOnly}
        />

        <QueryView query={listQ} notReady={<EmptyState title="No stock recommendations yet">Upload sales and they appear once the forecast is ready.</EmptyState>}>
          {(page) =>
            page.items.length === 0 ? (
              <EmptyState title="Nothing to show">No item matches, or no recommendations were made yet.</EmptyState>
            ) : (
              <>
                {page.items.every((r) => r.on_hand === null || r.on_hand === undefined) && <NoStockLevels />}
                <p className="mb-2 text-xs text-slate-500" aria-live="polite">
                  Showing {formatNumber(rows.length)} of {formatNumber(page.total)} items
                  {page.total > page.items.length ? ` (the ${formatNumber(page.items.length)} most urgent are loaded; the CSV has all)` : ""}.
                </p>
                <div className="relative -mx-4 overflow-x-auto sm:mx-0">
                  <table className="min-w-full text-sm" data-testid="inventory-table">
                    <caption className="sr-only">Inventory recommendations, sortable by column</caption>
                    <TableHead sort={shown} onSort={onSort} />
                    <tbody className="divide-y divide-slate-100">
                      {rows.map((r) => {
                        const id = `${r.store}/${r.sku}`;
                        return <InventoryRow key={id} row={r} expanded={open === id} onToggle={() => setOpen(open === id ? null : id)} />;
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
