// One scenario against the baseline: totals, items with orders and stock-out risk, demand chart, adopt.
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { scenarios } from "../api/endpoints";
import type { ScenarioFigures, ScenarioItem, ScenarioTotals } from "../api/types";
import { useQuery } from "../hooks";
import { formatCompact, formatDate, formatDecimal, formatMoney, formatNumber, formatPercent, formatShortDate, formatSignedPercent } from "../lib/format";
import { isComputing, relativeChange, scenarioChartRows } from "../lib/scenarios";
import { QueryView } from "./QueryView";
import { Badge, Button, Card, ChartSkeleton, ErrorBox, Pager, ProgressBar, Stat, cx } from "./ui";

const LIMIT = 20;
const AXIS = { fontSize: 12, fill: "#64748b" };

function ScenarioChart(props: { item: ScenarioItem }) {
  return (
    <div style={{ height: 280 }} className="w-full" data-testid="plan-chart">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={scenarioChartRows(props.item.points)} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="date" tick={AXIS} tickFormatter={formatShortDate} minTickGap={32} tickLine={false} axisLine={false} />
          <YAxis tick={AXIS} tickFormatter={(v: number) => formatCompact(v)} width={48} tickLine={false} axisLine={false} />
          <Tooltip
            labelFormatter={(label) => formatDate(String(label))}
            formatter={(value, name) =>
              Array.isArray(value)
                ? [`${formatDecimal(Number(value[0]), 1)} – ${formatDecimal(Number(value[1]), 1)}`, name]
                : [formatDecimal(Number(value), 1), name]
            }
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Area type="monotone" dataKey="band" name="Scenario p10–p90" stroke="none" fill="#a5b4fc" fillOpacity={0.45} isAnimationActive={false} />
          <Line type="monotone" dataKey="baseline" name="Baseline (p50)" stroke="#64748b" strokeWidth={1.5} strokeDasharray="5 3" dot={false} isAnimationActive={false} />
          <Line type="monotone" dataKey="p50" name="Scenario (p50)" stroke="#4f46e5" strokeWidth={2} dot={false} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

function Pair(props: { baseline: number | null | undefined; scenario: number | null | undefined; format: (v: number | null | undefined) => string; testId: string }) {
  const change = relativeChange(props.baseline, props.scenario);
  return (
    <td className="px-2 py-1.5 text-right tabular-nums" data-testid={props.testId} data-baseline={props.baseline ?? undefined} data-scenario={props.scenario ?? undefined}>
      <span className="text-slate-500">{props.format(props.baseline)}</span>
      <span aria-hidden="true"> → </span>
      <span className="font-medium text-slate-900">{props.format(props.scenario)}</span>
      {change !== null && Math.abs(change) >= 0.0005 && (
        <span className={cx("ml-1 text-xs", change > 0 ? "text-emerald-700" : "text-red-700")}>{formatSignedPercent(change)}</span>
      )}
    </td>
  );
}

type Column = { key: keyof ScenarioFigures; label: string; format: (v: number | null | undefined) => string };
const COLUMNS: Column[] = [
  { key: "units", label: "Units", format: formatNumber },
  { key: "revenue", label: "Revenue", format: formatMoney },
  { key: "gross_margin", label: "Gross margin", format: formatMoney },
  { key: "order_quantity", label: "Order now", format: formatNumber },
  { key: "stockout_risk", label: "Stock-out risk", format: (v) => formatPercent(v, 0) },
];

function ItemsTable(props: { items: ScenarioItem[]; selected: ScenarioItem | null; onSelect: (item: ScenarioItem) => void }) {
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full text-sm" data-testid="plan-items">
        <thead className="text-left text-slate-600">
          <tr>
            <th scope="col" className="px-2 py-1 font-medium">Item</th>
            {COLUMNS.map((c) => (
              <th key={c.key} scope="col" className="whitespace-nowrap px-2 py-1 text-right font-medium">{c.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.items.map((item) => {
            const active = props.selected?.store === item.store && props.selected?.sku === item.sku;
            return (
              <tr key={`${item.store}/${item.sku}`} className={cx("border-t border-slate-100", active && "bg-indigo-50")} data-testid="plan-item" data-store={item.store} data-sku={item.sku}>
                <th scope="row" className="px-2 py-1.5 text-left font-normal">
                  <button type="button" onClick={() => props.onSelect(item)} aria-pressed={active} className="text-left">
                    <span className="font-medium">{item.sku}</span> <span className="text-slate-500">· {item.store}</span>
                    <span className="ml-1">{item.changed ? <Badge tone="blue">changed</Badge> : <Badge>substitute</Badge>}</span>
                  </button>
                </th>
                {COLUMNS.map((c) => (
                  <Pair key={c.key} baseline={item.baseline[c.key]} scenario={item.scenario[c.key]} format={c.format} testId={`item-${c.key}`} />
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function TotalsGrid(props: { totals: ScenarioTotals }) {
  return (
    <div className="mb-4 grid grid-cols-1 gap-4 sm:grid-cols-3" data-testid="plan-totals">
      {(["units", "revenue", "gross_margin"] as const).map((key) => {
        const base = props.totals.baseline[key];
        const next = props.totals.scenario[key];
        const change = relativeChange(base, next);
        const fmt = key === "units" ? formatNumber : formatMoney;
        return (
          <Stat
            key={key}
            label={{ units: "Units", revenue: "Revenue", gross_margin: "Gross margin" }[key]}
            value={fmt(next)}
            raw={next}
            testId={`plan-total-${key}`}
            hint={`Baseline ${fmt(base)}${change === null ? "" : ` · ${formatSignedPercent(change)}`}`}
          />
        );
      })}
    </div>
  );
}

export function ScenarioDetail(props: { id: string; onChanged: () => void; onDeleted: () => void }) {
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<ScenarioItem | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const q = useQuery(() => scenarios.get(props.id, { limit: LIMIT, offset }), [props.id, offset]);
  const status = q.data?.status ?? "queued";
  const { reload } = q;
  const { onChanged } = props;
  useEffect(() => {
    if (!q.data || !isComputing(status)) return;
    const timer = setTimeout(() => {
      reload();
      onChanged();
    }, 1000);
    return () => clearTimeout(timer);
  }, [q.data, status, reload, onChanged]);
  useEffect(() => {
    const items = q.data?.items ?? [];
    if (!selected || !items.some((i) => i.store === selected.store && i.sku === selected.sku)) setSelected(items[0] ?? null);
  }, [q.data, selected]);

  const act = async (fn: () => Promise<void>) => {
    setProblem(null);
    try {
      await fn();
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <QueryView query={q} loading={<Card><ChartSkeleton height={320} /></Card>}>
      {(s) => (
        <Card
          title={s.name}
          testId="plan-detail"
          actions={
            <>
              <Button variant="danger" onClick={() => act(async () => { await scenarios.remove(s.id); props.onDeleted(); })}>Delete</Button>
              <Button disabled={s.status !== "succeeded" || jobId !== null} onClick={() => act(async () => setJobId((await scenarios.adopt(s.id)).job_id))}>
                Adopt as plan
              </Button>
            </>
          }
        >
          {problem && <ErrorBox message={problem} />}
          {jobId && (
            <p className="mb-3 rounded-md bg-emerald-50 p-2 text-sm text-emerald-800" data-testid="plan-adopted">
              Adopted: forecasting and inventory are running again with this plan. <Link className="underline" to={`/app/jobs/${jobId}`}>Follow the job</Link>.
            </p>
          )}
          {isComputing(s.status) && (
            <div className="mb-3 space-y-1" data-testid="plan-progress">
              <ProgressBar value={s.progress} label="Computing the scenario" />
              <p className="text-xs text-slate-500">Computing demand, orders and margin… {Math.round(s.progress * 100)}%</p>
            </div>
          )}
          {s.status === "failed" && <ErrorBox message={s.error ?? "The scenario could not be computed."} />}
          {s.status === "succeeded" && s.totals && (
            <>
              <TotalsGrid totals={s.totals} />
              {s.assumptions.map((a) => (
                <p key={a} className="mb-2 text-xs text-amber-800" data-testid="plan-assumption">{a}</p>
              ))}
              {selected && (
                <div className="mb-4">
                  <h3 className="mb-2 text-sm font-semibold text-slate-700">
                    Demand of {selected.sku} at {selected.store}
                  </h3>
                  <ScenarioChart item={selected} />
                </div>
              )}
              <ItemsTable items={s.items} selected={selected} onSelect={setSelected} />
              <Pager offset={offset} limit={LIMIT} total={s.total} onChange={setOffset} />
              {s.items.some((i) => i.scenario.order_quantity === null) && (
                <p className="mt-2 text-xs text-slate-500">
                  “—” under orders and stock-out risk: the item's stock on hand is unknown; upload the product list with on-hand stock (POST /upload-products) to see them.
                </p>
              )}
              <p className="mt-2 text-xs text-slate-500">
                Baseline → scenario over the forecast horizon {formatDate(s.horizon_start)} – {formatDate(s.horizon_end)}. Changed items come first, then items whose demand moves through them.
              </p>
            </>
          )}
        </Card>
      )}
    </QueryView>
  );
}
