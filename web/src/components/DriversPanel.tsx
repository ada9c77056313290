// Why a series' forecast says what it says: its drivers per date, as a stacked chart and a table.
import { forecasts } from "../api/endpoints";
import { useQuery } from "../hooks";
import { DRIVER_FAMILIES, buildDriverRows, driversAddUp } from "../lib/drivers";
import { formatDate, formatDecimal } from "../lib/format";
import { DriversChart } from "./charts";
import { ChartSkeleton, ErrorBox } from "./ui";

/** The drivers section under a series' forecast chart; fetches the series again with `drivers=true`. */
export function DriversPanel(props: { store: string; sku: string }) {
  const { store, sku } = props;
  const q = useQuery(() => forecasts.series({ store, sku, limit: 1, drivers: true }), [store, sku]);
  const item = q.data?.items.find((i) => i.store === store && i.sku === sku);
  const rows = item ? buildDriverRows(item.points) : [];
  return (
    <section className="mt-5 border-t border-slate-100 pt-4" data-testid="drivers" aria-labelledby="drivers-title">
      <h3 id="drivers-title" className="mb-1 text-sm font-semibold text-slate-700">What drives this forecast</h3>
      <p className="mb-3 text-xs text-slate-500">
        Each bar splits the forecast's median (p50) for a date into six families of units that add up to it; families
        below zero take units away, the dashed line is the median itself.
      </p>
      {q.error ? (
        <ErrorBox message={q.error} onRetry={q.reload} />
      ) : q.data === undefined || (q.loading && !item) ? (
        <ChartSkeleton height={280} />
      ) : rows.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="drivers-empty">
          No drivers are stored for this series yet; they appear after its next forecasting run.
        </p>
      ) : (
        <>
          <DriversChart rows={rows} />
          <ul className="mt-3 grid grid-cols-1 gap-x-6 gap-y-1 text-xs text-slate-600 sm:grid-cols-2" data-testid="drivers-meanings">
            {DRIVER_FAMILIES.map((f) => (
              <li key={f.key}>
                <span aria-hidden="true" className="mr-1.5 inline-block h-2.5 w-2.5 rounded-sm align-baseline" style={{ backgroundColor: f.color }} />
                <span className="font-medium text-slate-700">{f.label}</span>: {f.meaning}
              </li>
            ))}
          </ul>
          {!driversAddUp(rows, 1e-4) && (
            <p className="mt-2 text-xs text-amber-700" role="note">Some dates' drivers do not add up to their median; the table shows both.</p>
          )}
          <details className="mt-3 text-sm">
            <summary className="cursor-pointer text-xs font-medium text-indigo-700">Show the numbers</summary>
            <div className="mt-2 max-h-72 overflow-auto rounded-md border border-slate-200">
              <table className="min-w-full text-right text-xs tabular-nums" data-testid="drivers-table">
                <thead className="sticky top-0 bg-slate-50 text-slate-600">
                  <tr>
                    <th scope="col" className="px-2 py-1.5 text-left font-medium">Date</th>
                    {DRIVER_FAMILIES.map((f) => (
                      <th key={f.key} scope="col" className="px-2 py-1.5 font-medium">{f.label}</th>
                    ))}
                    <th scope="col" className="px-2 py-1.5 font-medium">Sum</th>
                    <th scope="col" className="px-2 py-1.5 font-medium">Forecast (p50)</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {rows.map((r) => (
                    <tr key={r.date} data-date={r.date} data-sum={r.sum} data-p50={r.p50}>
                      <th scope="row" className="whitespace-nowrap px-2 py-1 text-left font-normal">{formatDate(r.date)}</th>
                      {DRIVER_FAMILIES.map((f) => (
                        <td key={f.key} className="px-2 py-1" data-family={f.key}>{formatDecimal(r[f.key], 2)}</td>
                      ))}
                      <td className="px-2 py-1 font-medium" data-testid="drivers-sum">{formatDecimal(r.sum, 2)}</td>
                      <td className="px-2 py-1" data-testid="drivers-p50">{formatDecimal(r.p50, 2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}
