// Customers: segment cards, an RFM scatter, movement between segments and the customer list.
import { useState } from "react";
import { segments as segmentsApi } from "../api/endpoints";
import type { Page, Segment, SegmentCustomer, SegmentMigration } from "../api/types";
import { RfmScatter } from "../components/charts";
import { QueryView } from "../components/QueryView";
import { Button, Card, ChartSkeleton, EmptyState, ErrorBox, Field, PageHeader, Pager, cx, inputClass } from "../components/ui";
import { useQuery, useTitle, type Query } from "../hooks";
import { formatDateTime, formatDecimal, formatMoney, formatNumber, formatPercent } from "../lib/format";
import { migrationMatrix, segmentColor, topMoves } from "../lib/segments";

const LIMIT = 25;
const SCATTER_LIMIT = 1000;

function Migration({ migration, order }: { migration: SegmentMigration; order: string[] }) {
  if (migration.items.length === 0 || !migration.previous_run_at) {
    return <p className="text-sm text-slate-500">Movement between segments shows after your next upload is analysed.</p>;
  }
  const matrix = migrationMatrix(migration, order);
  const moves = topMoves(migration, 5);
  return (
    <>
      <p className="text-sm text-slate-600">
        Since {formatDateTime(migration.previous_run_at)}:{" "}
        <span className="font-semibold text-slate-900" data-testid="migration-moved">{formatNumber(matrix.moved)}</span> customers changed
        segment, {formatNumber(matrix.stayed)} stayed.
      </p>
      {moves.length > 0 && (
        <ul className="mt-3 space-y-1 text-sm">
          {moves.map((m) => (
            <li key={`${m.from_segment}>${m.to_segment}`}>
              <span className="font-medium">{formatNumber(m.customers)}</span> from {m.from_segment} → {m.to_segment}
            </li>
          ))}
        </ul>
      )}
      <div className="relative mt-4 overflow-x-auto">
        <table className="text-xs" data-testid="migration-table">
          <caption className="sr-only">Customers by previous segment (rows) and current segment (columns)</caption>
          <thead>
            <tr>
              <th scope="col" className="px-2 py-1 text-left font-medium text-slate-500">From \ to</th>
              {matrix.segments.map((s) => (
                <th key={s} scope="col" className="px-2 py-1 text-right font-medium text-slate-600">{s}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {matrix.segments.map((from) => (
              <tr key={from}>
                <th scope="row" className="px-2 py-1 text-left font-medium text-slate-600">{from}</th>
                {matrix.segments.map((to) => {
                  const n = matrix.counts[from]?.[to] ?? 0;
                  return (
                    <td key={to} className={cx("px-2 py-1 text-right tabular-nums", from === to ? "bg-slate-100 text-slate-500" : n > 0 ? "text-slate-900" : "text-slate-300")}>
                      {formatNumber(n)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function SegmentCard({ segment: s, names }: { segment: Segment; names: string[] }) {
  return (
    <Card testId="segment-card">
      <div className="flex items-center gap-2">
        <span className="h-3 w-3 rounded-full" style={{ background: segmentColor(s.name, names) }} aria-hidden="true" />
        <h2 className="font-semibold text-slate-900" data-testid="segment-name">{s.name}</h2>
      </div>
      <p className="mt-1 text-sm text-slate-600">{s.description}</p>
      <dl className="mt-3 grid grid-cols-3 gap-2 text-sm">
        <div>
          <dt className="text-xs text-slate-500">Customers</dt>
          <dd className="font-semibold tabular-nums" data-testid="segment-customers" data-value={s.customers}>{formatNumber(s.customers)}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Revenue share</dt>
          <dd className="font-semibold tabular-nums" data-testid="segment-revenue-share">{formatPercent(s.revenue_share)}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Avg. CLV</dt>
          <dd className="font-semibold tabular-nums">{formatMoney(s.clv_mean)}</dd>
        </div>
      </dl>
      <p className="mt-2 text-xs text-slate-500">
        Last bought {formatDecimal(s.recency_days, 0)} days ago · {formatDecimal(s.frequency, 1)} purchases · spends {formatMoney(s.monetary)}
        {s.p_alive_mean !== null ? ` · ${formatPercent(s.p_alive_mean, 0)} likely still active` : ""}
      </p>
      <div className="mt-3 rounded-lg bg-indigo-50 px-3 py-2 text-sm text-indigo-900">
        <span className="font-medium">Action: </span>
        {s.action}
      </div>
    </Card>
  );
}

function CustomerTable({ page }: { page: Page<SegmentCustomer> }) {
  return (
    <div className="relative -mx-4 overflow-x-auto sm:mx-0">
      <table className="min-w-full text-sm" data-testid="customer-table" data-total={page.total}>
        <caption className="sr-only">Customers</caption>
        <thead className="border-b border-slate-200 text-left text-slate-600">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">Customer</th>
            <th scope="col" className="hidden px-3 py-2 font-medium sm:table-cell">Segment</th>
            <th scope="col" className="px-3 py-2 text-right font-medium">Days since</th>
            <th scope="col" className="px-3 py-2 text-right font-medium">Purchases</th>
            <th scope="col" className="px-3 py-2 text-right font-medium">Spend</th>
            <th scope="col" className="hidden px-3 py-2 text-right font-medium sm:table-cell">CLV</th>
            <th scope="col" className="hidden px-3 py-2 text-right font-medium sm:table-cell">Active</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {page.items.map((c) => (
            <tr key={c.customer_id} data-testid="customer-row">
              <td className="px-3 py-2 font-mono text-xs">{c.customer_id}</td>
              <td className="hidden px-3 py-2 sm:table-cell">{c.segment}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatNumber(c.recency_days)}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatNumber(c.frequency)}</td>
              <td className="px-3 py-2 text-right tabular-nums" data-col="monetary">{formatMoney(c.monetary)}</td>
              <td className="hidden px-3 py-2 text-right tabular-nums sm:table-cell">{formatMoney(c.clv)}</td>
              <td className="hidden px-3 py-2 text-right tabular-nums sm:table-cell">{formatPercent(c.p_alive, 0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CustomerListCard(props: {
  names: string[];
  segment: string;
  onSegment: (segment: string) => void;
  offset: number;
  onOffset: (offset: number) => void;
  listQ: Query<Page<SegmentCustomer>>;
}) {
  return (
    <Card title="Customer list">
      <Field label="Segment" htmlFor="cust-segment" className="mb-4 max-w-xs">
        <select id="cust-segment" value={props.segment} onChange={(e) => props.onSegment(e.target.value)} className={inputClass}>
          <option value="">All segments</option>
          {props.names.map((n) => (
            <option key={n} value={n}>{n}</option>
          ))}
        </select>
      </Field>
      <QueryView query={props.listQ}>
        {(page) =>
          page.items.length === 0 ? (
            <p className="text-sm text-slate-500">No customers in this segment.</p>
          ) : (
            <>
              <CustomerTable page={page} />
              <Pager offset={props.offset} limit={LIMIT} total={page.total} onChange={props.onOffset} />
            </>
          )
        }
      </QueryView>
    </Card>
  );
}

function NoSegments() {
  return <EmptyState title="No customer segments yet">Upload sales with a customer ID column to see your customer groups.</EmptyState>;
}

export default function Customers() {
  useTitle("Customers");
  const [segment, setSegment] = useState("");
  const [offset, setOffset] = useState(0);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const summaryQ = useQuery(() => segmentsApi.summary(), []);
  const scatterQ = useQuery(() => segmentsApi.customers({ limit: SCATTER_LIMIT }), []);
  const migrationQ = useQuery(() => segmentsApi.migration(), []);
  const listQ = useQuery(() => segmentsApi.customers({ segment, limit: LIMIT, offset }), [segment, offset]);
  const chooseSegment = (value: string) => {
    setSegment(value);
    setOffset(0);
  };

  return (
    <>
      <PageHeader
        title="Customers"
        subtitle="Customers grouped by how recently, how often and how much they buy, with what to do for each group."
        actions={
          <Button
            variant="secondary"
            onClick={() => {
              setDownloadError(null);
              segmentsApi.downloadCsv(segment || undefined).catch((e: Error) => setDownloadError(e.message));
            }}
          >
            Export {segment ? segment : "all customers"} (CSV)
          </Button>
        }
      />
      {downloadError && <div className="mb-4"><ErrorBox message={downloadError} /></div>}

      <QueryView query={summaryQ} notReady={<NoSegments />}>
        {(summary) => {
          if (summary.segments.length === 0) return <NoSegments />;
          const names = summary.segments.map((s) => s.name);
          return (
            <div className="space-y-6">
              <p className="text-sm text-slate-600">
                <span className="font-semibold text-slate-900" data-testid="total-customers">{formatNumber(summary.total_customers)}</span> customers
                {summary.run_at ? `, grouped ${formatDateTime(summary.run_at)}` : ""}.
              </p>
              <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3" data-testid="segment-cards">
                {summary.segments.map((s) => (
                  <SegmentCard key={s.name} segment={s} names={names} />
                ))}
              </div>

              <div className="grid gap-4 lg:grid-cols-2 lg:gap-6">
                <Card title="Recency, frequency and spend">
                  <QueryView query={scatterQ} loading={<ChartSkeleton height={320} />}>
                    {(page) => (
                      <>
                        <RfmScatter customers={page.items} segmentNames={names} />
                        <p className="mt-2 text-xs text-slate-500">
                          Each dot is a customer; bigger dots spend more.
                          {page.total > page.items.length ? ` Showing ${formatNumber(page.items.length)} of ${formatNumber(page.total)}.` : ""}
                        </p>
                      </>
                    )}
                  </QueryView>
                </Card>
                <Card title="Movement since the last run">
                  <QueryView query={migrationQ} notReady={<p className="text-sm text-slate-500">Movement between segments shows after your next upload is analysed.</p>}>
                    {(m) => <Migration migration={m} order={names} />}
                  </QueryView>
                </Card>
              </div>

              <CustomerListCard names={names} segment={segment} onSegment={chooseSegment} offset={offset} onOffset={setOffset} listQ={listQ} />
            </div>
          );
        }}
      </QueryView>
    </>
  );
}
