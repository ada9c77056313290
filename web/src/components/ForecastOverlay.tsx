// What the forecast chart draws over history and forecast: an item's stock-outs (issue #20) and
// the events of its store (issue #21), with the notes under the chart that name them.
import { calendar, stockouts } from "../api/endpoints";
import type { CalendarEvent, ForecastPoint, SalesPoint, StockoutPage } from "../api/types";
import { useQuery } from "../hooks";
import { chartSpan, markEvents } from "../lib/calendar";
import { formatDate, formatMoney, formatNumber } from "../lib/format";
import { buildForecastChart } from "../lib/series";
import { daysBefore, overlayStockouts, withStockoutGaps } from "../lib/stockouts";
import type { ForecastChartRow } from "./charts";
import { Badge } from "./ui";

export interface OverlayScope {
  /** The item whose stock-outs are drawn (product view only: aggregates mix many items). */
  item?: { store: string; sku: string } | null;
  /** The store whose calendar applies; none for the organisation's default country. */
  store?: string | null;
}

/** Chart rows for `history` and `forecast` with the scope's stock-outs shaded and events marked. */
export function useForecastRows(
  history: readonly SalesPoint[] | undefined,
  forecast: readonly ForecastPoint[],
  freq: "D" | "W",
  scope: OverlayScope,
) {
  const item = scope.item ?? null;
  const stockoutQ = useQuery<StockoutPage | null>(
    () => (item ? stockouts.list({ store: item.store, sku: item.sku, limit: 500 }) : Promise.resolve(null)),
    [item?.store, item?.sku],
  );
  const periods = stockoutQ.data?.items ?? [];
  const firstForecast = [...forecast].sort((a, b) => a.date.localeCompare(b.date))[0]?.date;
  const filled = withStockoutGaps(history ?? [], periods, freq, firstForecast ? daysBefore(firstForecast, 1) : null);
  const base = buildForecastChart(filled, [...forecast], freq === "W" ? 52 : 120);
  // Asked once the history is in: the chart's span is known then.
  const span = history ? chartSpan(base, freq) : null;
  const eventsQ = useQuery<CalendarEvent[]>(
    () =>
      span
        ? calendar.allEvents({ store: scope.store ?? undefined, since: span.since, until: span.until }).then((p) => p.items)
        : Promise.resolve([]),
    [scope.store, span?.since, span?.until],
  );
  const events = eventsQ.data ?? [];
  const rows: ForecastChartRow[] = markEvents(overlayStockouts(base, periods, freq), events, freq);
  return { rows, stockoutPage: stockoutQ.data ?? null, events };
}

/** Under the chart: what the item's stock-outs cost, and the events in view. */
export function OverlayNotes(props: { stockoutPage: StockoutPage | null; events: readonly CalendarEvent[] }) {
  const page = props.stockoutPage;
  return (
    <div className="mt-3 space-y-2 text-sm">
      {page && page.total > 0 && (
        <p className="text-slate-700" data-testid="forecast-stockouts" data-total={page.total}>
          Ran out of stock <span className="font-medium">{formatNumber(page.total)}</span> {page.total === 1 ? "time" : "times"}:
          about <span className="font-medium" data-value={page.lost_units_total}>{formatNumber(page.lost_units_total)}</span> units
          worth <span className="font-medium" data-value={page.lost_revenue_total}>{formatMoney(page.lost_revenue_total)}</span> could
          not be sold. The forecast learns from the estimated demand, not from the empty shelf.
        </p>
      )}
      {props.events.length > 0 && (
        <ul className="flex flex-wrap gap-1.5" aria-label="Events in view" data-testid="forecast-events">
          {[...props.events].sort((a, b) => a.start.localeCompare(b.start) || a.name.localeCompare(b.name)).map((e) => (
            <li key={e.id} data-event-id={e.id}>
              <Badge tone={e.source === "own" ? "green" : e.source === "retail" ? "amber" : "blue"}>
                {e.name} · {formatDate(e.start)}
              </Badge>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
