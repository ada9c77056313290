// Recharts wrappers with the dashboard's colours, axes and tooltips.
import {
  Area,
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from "recharts";
import type { SalesPoint, SegmentCustomer } from "../api/types";
import { formatCompact, formatCompactMoney, formatDate, formatDecimal, formatMoney, formatNumber, formatShortDate } from "../lib/format";
import { DRIVER_FAMILIES, driverOrder, type DriverRow } from "../lib/drivers";
import { segmentColor } from "../lib/segments";
import type { EventRow } from "../lib/calendar";
import { stockoutSourceText, type StockoutRow } from "../lib/stockouts";

const AXIS = { fontSize: 12, fill: "#64748b" };

export function SalesChart(props: { points: SalesPoint[]; metric: "revenue" | "units"; height?: number }) {
  const color = props.metric === "revenue" ? "#4f46e5" : "#0891b2";
  return (
    <div style={{ height: props.height ?? 260 }} className="w-full" data-testid="sales-chart">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={props.points} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <defs>
            <linearGradient id={`fill-${props.metric}`} x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor={color} stopOpacity={0.25} />
              <stop offset="100%" stopColor={color} stopOpacity={0.02} />
            </linearGradient>
          </defs>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="date" tick={AXIS} tickFormatter={formatShortDate} minTickGap={32} tickLine={false} axisLine={false} />
          <YAxis tick={AXIS} tickFormatter={(v: number) => (props.metric === "revenue" ? formatCompactMoney(v) : formatCompact(v))} width={52} tickLine={false} axisLine={false} />
          <Tooltip
            labelFormatter={(label) => formatDate(String(label))}
            formatter={(value) => [
              props.metric === "revenue" ? formatMoney(Number(value)) : formatNumber(Number(value)),
              props.metric === "revenue" ? "Revenue" : "Units",
            ]}
          />
          <Area
            type="monotone"
            dataKey={props.metric}
            stroke={color}
            strokeWidth={2}
            fill={`url(#fill-${props.metric})`}
            isAnimationActive={false}
            dot={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

/** A forecast chart row with what issues #20 and #21 add: stock-out periods and events. */
export type ForecastChartRow = StockoutRow & EventRow;

const CENSORED_FILL = "#f59e0b";
const DEMAND_COLOR = "#d97706";
const EVENT_COLOR = "#7c3aed";

function tooltipValue(value: unknown, name: unknown, row: ForecastChartRow | undefined): [string, string] {
  const label = String(name);
  if (label === STOCKOUT_LABEL) return [row?.stockout ? stockoutSourceText(row.stockout.source, row.stockout.probability) : "yes", label];
  if (label === EVENT_LABEL) return [(row?.events ?? []).join(", "), label];
  if (Array.isArray(value)) return [`${formatDecimal(Number(value[0]), 1)} – ${formatDecimal(Number(value[1]), 1)}`, label];
  return [formatDecimal(Number(value), 1), label];
}

const STOCKOUT_LABEL = "Out of stock (sales censored)";
const EVENT_LABEL = "Event";
// Legend order: what happened, what customers wanted, what comes, then the marks.
const LEGEND_ORDER = ["actual", "demand", "p50", "band", "censored", "eventMark"];

function legendOrder(dataKey: unknown): number {
  const index = LEGEND_ORDER.indexOf(String(dataKey));
  return index === -1 ? LEGEND_ORDER.length : index;
}

/**
 * History, forecast median and its p10–p90 band. Rows inside a stock-out are shaded (a bar on a
 * hidden 0..1 axis, so a one-day period is as wide as its day) with the estimated demand drawn
 * beside the sales; events are markers along the top with a line down at each one's first day.
 */
export function ForecastChart(props: { rows: ForecastChartRow[]; height?: number; unitLabel?: string }) {
  const censored = props.rows.some((r) => r.censored === 1);
  const marked = props.rows.filter((r) => r.eventMark === 1);
  // A line where an event begins (a name the row before did not have): a long campaign is one line.
  const eventStarts = props.rows.filter(
    (r, i) => r.eventMark === 1 && (r.events ?? []).some((name) => !(props.rows[i - 1]?.events ?? []).includes(name)),
  );
  return (
    <div
      style={{ height: props.height ?? 300 }}
      className="w-full"
      data-testid="forecast-chart"
      data-censored-rows={props.rows.filter((r) => r.censored === 1).length}
      data-event-rows={marked.length}
    >
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={props.rows} margin={{ top: 8, right: 8, left: 0, bottom: 0 }} barCategoryGap={0} barGap={0}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="date" tick={AXIS} tickFormatter={formatShortDate} minTickGap={32} tickLine={false} axisLine={false} />
          <YAxis tick={AXIS} tickFormatter={(v: number) => formatCompact(v)} width={48} tickLine={false} axisLine={false} />
          {/* Marks sit on 0..1 with headroom, so the event markers at 1 stay inside the plot. */}
          <YAxis yAxisId="marks" hide domain={[0, 1.04]} />
          <Tooltip
            labelFormatter={(label) => formatDate(String(label))}
            formatter={(value, name, item) => tooltipValue(value, name, item?.payload as ForecastChartRow | undefined)}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={(item) => legendOrder(item.dataKey)} />
          {censored && (
            <Bar yAxisId="marks" dataKey="censored" name={STOCKOUT_LABEL} fill={CENSORED_FILL} fillOpacity={0.22} isAnimationActive={false} legendType="square" />
          )}
          {eventStarts.map((r) => (
            <ReferenceLine key={`event-${r.date}`} x={r.date} stroke={EVENT_COLOR} strokeOpacity={0.5} strokeDasharray="2 3" ifOverflow="hidden" />
          ))}
          <Area
            type="monotone"
            dataKey="band"
            name="p10–p90 range"
            stroke="none"
            fill="#a5b4fc"
            fillOpacity={0.45}
            isAnimationActive={false}
            connectNulls
          />
          <Line type="monotone" dataKey="actual" name={props.unitLabel ?? "Units sold"} stroke="#0f172a" strokeWidth={1.5} dot={false} isAnimationActive={false} />
          {censored && (
            <Line type="monotone" dataKey="demand" name="Estimated demand" stroke={DEMAND_COLOR} strokeWidth={2} dot={false} isAnimationActive={false} />
          )}
          <Line
            type="monotone"
            dataKey="p50"
            name="Forecast (p50)"
            stroke="#4f46e5"
            strokeWidth={2}
            strokeDasharray="5 3"
            dot={false}
            isAnimationActive={false}
            connectNulls
          />
          {marked.length > 0 && (
            <Scatter yAxisId="marks" dataKey="eventMark" name={EVENT_LABEL} fill={EVENT_COLOR} shape="diamond" isAnimationActive={false} legendType="diamond" />
          )}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

/**
 * The drivers of each forecast date stacked: positive families above zero, negative ones (a price
 * rise, a substitute's promotion) below, with the forecast's median as a line through the net.
 */
export function DriversChart(props: { rows: DriverRow[]; height?: number }) {
  return (
    <div style={{ height: props.height ?? 280 }} className="w-full" data-testid="drivers-chart">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={props.rows} stackOffset="sign" margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="date" tick={AXIS} tickFormatter={formatShortDate} minTickGap={32} tickLine={false} axisLine={false} />
          <YAxis tick={AXIS} tickFormatter={(v: number) => formatCompact(v)} width={48} tickLine={false} axisLine={false} />
          <Tooltip
            labelFormatter={(label) => formatDate(String(label))}
            formatter={(value, name) => [formatDecimal(Number(value), 1), name]}
            itemSorter={(item) => driverOrder(item.dataKey)}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={(item) => driverOrder(item.dataKey)} />
          {DRIVER_FAMILIES.map((family) => (
            <Bar key={family.key} dataKey={family.key} name={family.label} stackId="drivers" fill={family.color} isAnimationActive={false} />
          ))}
          <Line type="monotone" dataKey="p50" name="Forecast (p50)" stroke="#0f172a" strokeWidth={2} strokeDasharray="5 3" dot={false} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

export function RfmScatter(props: { customers: SegmentCustomer[]; segmentNames: string[]; height?: number }) {
  const groups = props.segmentNames
    .map((name) => ({ name, data: props.customers.filter((c) => c.segment === name) }))
    .filter((g) => g.data.length > 0);
  return (
    <div style={{ height: props.height ?? 320 }} className="w-full" data-testid="rfm-chart">
      <ResponsiveContainer width="100%" height="100%">
        <ScatterChart margin={{ top: 8, right: 8, left: 0, bottom: 8 }}>
          <CartesianGrid stroke="#e2e8f0" />
          <XAxis
            type="number"
            dataKey="recency_days"
            name="Days since last purchase"
            tick={AXIS}
            tickLine={false}
            label={{ value: "Days since last purchase", position: "insideBottom", offset: -4, fontSize: 12, fill: "#64748b" }}
            height={40}
          />
          {/* Square-root scale: a few very frequent buyers would otherwise flatten everyone else. */}
          <YAxis type="number" dataKey="frequency" name="Purchases" scale="sqrt" domain={[0, "auto"]} tick={AXIS} tickLine={false} width={40} />
          <ZAxis type="number" dataKey="monetary" name="Spend" range={[16, 220]} />
          <Tooltip
            cursor={{ strokeDasharray: "3 3" }}
            formatter={(value, name) => [name === "Spend" ? formatMoney(Number(value)) : formatNumber(Number(value)), name]}
          />
          <Legend verticalAlign="top" wrapperStyle={{ fontSize: 12, paddingBottom: 8 }} />
          {groups.map((g) => (
            <Scatter
              key={g.name}
              name={g.name}
              data={g.data}
              fill={segmentColor(g.name, props.segmentNames)}
              fillOpacity={0.7}
              isAnimationActive={false}
            />
          ))}
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
