// One inventory recommendation as a table row, with its explanation and figures when opened.
import type { InventoryRecommendation } from "../api/types";
import { formatDate, formatDecimal, formatMoney, formatNumber, formatPercent } from "../lib/format";
import type { Tone } from "../lib/jobs";
import { itemStockoutSentence, itemStockoutText } from "../lib/stockouts";
import { demandSourceText, hasStockLevel, priorityLabel, riskLevel } from "../lib/table";
import { Badge, cx } from "./ui";

const RISK_TONE: Record<ReturnType<typeof riskLevel>, Tone> = { high: "red", medium: "amber", low: "green", unknown: "slate" };

export function InventoryRow(props: { row: InventoryRecommendation; expanded: boolean; onToggle: () => void }) {
  const { row: r, expanded } = props;
  const id = `${r.store}/${r.sku}`;
  return (
    <>
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
            onClick={props.onToggle}
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
        </>
  );
}
