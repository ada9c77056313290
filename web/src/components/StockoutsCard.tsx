// Overview card: what stock-outs cost over the last 90 days of sales, and the items that lost most.
import { Link } from "react-router-dom";
import { stockouts } from "../api/endpoints";
import { useQuery } from "../hooks";
import { formatDate, formatMoney, formatNumber } from "../lib/format";
import { daysBefore, lossByItem } from "../lib/stockouts";
import { QueryView } from "./QueryView";
import { Card, Stat } from "./ui";

export const LOSS_WINDOW_DAYS = 90;

/** `until`: the last day of sales (the window ends there, so an old history still shows its losses). */
export function StockoutsCard(props: { until: string | null; className?: string }) {
  const since = props.until ? daysBefore(props.until, LOSS_WINDOW_DAYS - 1) : null;
  const q = useQuery(() => (since ? stockouts.listAll({ since }) : new Promise<never>(() => {})), [since]);
  return (
    <Card title="Lost to stock-outs" to="/app/inventory" linkLabel="Inventory" testId="card-stockouts" className={props.className}>
      <QueryView
        query={q}
        notReady={<p className="text-sm text-slate-500">No stock-out analysis yet. It appears once your latest upload has been analysed.</p>}
      >
        {(page) => {
          const top = lossByItem(page.items, 5);
          const range = `${formatDate(since)} – ${formatDate(props.until)}`;
          return (
            <>
              <div className="grid grid-cols-2 gap-4">
                <Stat label="Units lost" value={formatNumber(page.lost_units_total)} raw={page.lost_units_total} testId="overview-lost-units" hint={range} />
                <Stat
                  label="Sales lost"
                  value={formatMoney(page.lost_revenue_total)}
                  raw={page.lost_revenue_total}
                  testId="overview-lost-revenue"
                  hint={`${formatNumber(page.total)} stock-out ${page.total === 1 ? "period" : "periods"}`}
                />
              </div>
              {top.length === 0 ? (
                <p className="mt-3 text-sm text-slate-500" data-testid="overview-no-stockouts">
                  No item ran out in the last {LOSS_WINDOW_DAYS} days of sales.
                </p>
              ) : (
                <>
                  <p className="mt-3 text-xs text-slate-500">Demand customers had while the shelf was empty. Items that lost most:</p>
                  <ul className="mt-1 divide-y divide-slate-100 text-sm" data-testid="overview-top-stockouts">
                    {top.map((item) => (
                      <li key={`${item.store}/${item.sku}`} className="flex items-center justify-between gap-2 py-2" data-store={item.store} data-sku={item.sku}>
                        <span className="min-w-0 truncate">
                          <Link to={`/app/forecast?store=${encodeURIComponent(item.store)}&sku=${encodeURIComponent(item.sku)}`} className="font-medium hover:underline">
                            {item.sku}
                          </Link>{" "}
                          <span className="text-slate-500">· {item.store} · {item.periods}×</span>
                        </span>
                        <span className="shrink-0 tabular-nums text-slate-600">
                          {formatNumber(item.lostUnits)} units · <span className="font-medium text-red-700" data-value={item.lostRevenue}>{formatMoney(item.lostRevenue)}</span>
                        </span>
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </>
          );
        }}
      </QueryView>
    </Card>
  );
}
