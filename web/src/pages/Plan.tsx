// Plan: weigh prices and promotions before making them — demand, orders and margin against the baseline.
import { useEffect, useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { forecasts, scenarios } from "../api/endpoints";
import type { ScenarioChange, ScenarioSummary } from "../api/types";
import { QueryView } from "../components/QueryView";
import { ScenarioDetail } from "../components/ScenarioDetail";
import { StoreSelect } from "../components/StoreSelect";
import { Badge, Button, Card, EmptyState, ErrorBox, Field, PageHeader, ProgressBar, cx, inputClass } from "../components/ui";
import { useDebounced, useQuery, useTitle } from "../hooks";
import { formatDateTime, formatMoney, formatNumber } from "../lib/format";
import { buildChange, describeChange, isComputing, type ChangeForm, type PriceMode } from "../lib/scenarios";

const EMPTY: ChangeForm = { store: "", sku: "", category: "", start: "", end: "", priceMode: "none", priceValue: "", promotion: false };

function ItemSearch(props: { store: string; sku: string; onPick: (sku: string) => void }) {
  const [text, setText] = useState(props.sku);
  const dStore = useDebounced(props.store.trim());
  const q = useQuery(() => forecasts.series({ store: dStore || undefined, limit: 200 }), [dStore]);
  useEffect(() => setText(props.sku), [props.sku]);
  const needle = text.trim().toLowerCase();
  const matches = (q.data?.items ?? []).filter((i) => !needle || i.sku.toLowerCase().includes(needle)).slice(0, 8);
  const skus = [...new Set(matches.map((i) => i.sku))];
  return (
    <Field label="Product (SKU)" htmlFor="plan-sku" hint="Empty: every product (of the store and category chosen)">
      <input
        id="plan-sku"
        type="search"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          props.onPick(e.target.value);
        }}
        placeholder="Search a product code"
        className={inputClass}
      />
      {needle && skus.length > 0 && !(skus.length === 1 && skus[0] === text.trim()) && (
        <ul className="mt-1 flex flex-wrap gap-1" data-testid="plan-sku-matches">
          {skus.map((sku) => (
            <li key={sku}>
              <button type="button" onClick={() => props.onPick(sku)} className="rounded-md bg-slate-100 px-2 py-1 text-xs hover:bg-indigo-50">
                {sku}
              </button>
            </li>
          ))}
        </ul>
      )}
    </Field>
  );
}

const PRICE_MODES: { key: PriceMode; label: string }[] = [
  { key: "none", label: "Keep" },
  { key: "price", label: "Set price" },
  { key: "pct", label: "Change %" },
];

function PriceFields(props: { form: ChangeForm; set: (patch: Partial<ChangeForm>) => void }) {
  const { form, set } = props;
  return (
    <>
      <div>
        <span className="block text-sm font-medium text-slate-700">Price</span>
        <div role="group" aria-label="Price" className="mt-1 inline-flex rounded-lg bg-slate-100 p-1 text-sm font-medium">
          {PRICE_MODES.map((m) => (
            <button
              key={m.key}
              type="button"
              aria-pressed={form.priceMode === m.key}
              onClick={() => set({ priceMode: m.key })}
              className={cx("rounded-md px-3 py-1.5", form.priceMode === m.key ? "bg-white text-slate-900 shadow-sm" : "text-slate-600")}
            >
              {m.label}
            </button>
          ))}
        </div>
        {form.priceMode !== "none" && (
          <input
            id="plan-price"
            aria-label={form.priceMode === "price" ? "New price" : "Price change in percent"}
            type="number"
            step="0.01"
            value={form.priceValue}
            onChange={(e) => set({ priceValue: e.target.value })}
            placeholder={form.priceMode === "price" ? "2.49" : "-10"}
            className={cx(inputClass, "mt-2")}
          />
        )}
      </div>
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input id="plan-promo" type="checkbox" checked={form.promotion} onChange={(e) => set({ promotion: e.target.checked })} />
        Run a promotion on these days
      </label>
    </>
  );
}

function ScenarioForm(props: { onCreated: (id: string) => void }) {
  const [name, setName] = useState("");
  const [form, setForm] = useState<ChangeForm>(EMPTY);
  const [changes, setChanges] = useState<ScenarioChange[]>([]);
  const [fromPricing, setFromPricing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const horizon = useQuery(() => forecasts.series({ limit: 1 }), []);
  const points = horizon.data?.items[0]?.points ?? [];
  const first = points[0]?.date ?? "";
  const last = points[points.length - 1]?.date ?? "";
  useEffect(() => {
    if (first && last) setForm((f) => (f.start ? f : { ...f, start: first, end: last }));
  }, [first, last]);
  const set = (patch: Partial<ChangeForm>) => setForm((f) => ({ ...f, ...patch }));

  const add = () => {
    const change = buildChange(form);
    if (typeof change === "string") return setProblem(change);
    setProblem(null);
    setChanges((c) => [...c, change]);
  };
  const submit = async () => {
    const pending = form.priceMode !== "none" || form.promotion ? buildChange(form) : null;
    if (typeof pending === "string") return setProblem(pending);
    const all = pending ? [...changes, pending] : changes;
    setBusy(true);
    setProblem(null);
    try {
      const created = await scenarios.create({ name: name.trim() || "Untitled plan", changes: all, from_pricing_suggestions: fromPricing });
      setChanges([]);
      setForm({ ...EMPTY, start: first, end: last });
      props.onCreated(created.id);
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="New scenario" testId="plan-form">
      <div className="space-y-3">
        <Field label="Name" htmlFor="plan-name">
          <input id="plan-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Summer promotion" className={inputClass} />
        </Field>
        <div className="grid grid-cols-2 gap-3">
          <StoreSelect id="plan-store" value={form.store} onChange={(store) => set({ store })} />
          <Field label="Category" htmlFor="plan-category">
            <input id="plan-category" value={form.category} onChange={(e) => set({ category: e.target.value })} placeholder="Any category" className={inputClass} />
          </Field>
        </div>
        <ItemSearch store={form.store} sku={form.sku} onPick={(sku) => set({ sku })} />
        <div className="grid grid-cols-2 gap-3">
          <Field label="From" htmlFor="plan-start">
            <input id="plan-start" type="date" value={form.start} min={first} max={last} onChange={(e) => set({ start: e.target.value })} className={inputClass} />
          </Field>
          <Field label="To" htmlFor="plan-end">
            <input id="plan-end" type="date" value={form.end} min={first} max={last} onChange={(e) => set({ end: e.target.value })} className={inputClass} />
          </Field>
        </div>
        <PriceFields form={form} set={set} />
        <Button variant="secondary" onClick={add} className="w-full">Add this change</Button>
        {changes.length > 0 && (
          <ol className="space-y-1 text-sm" data-testid="plan-changes">
            {changes.map((c, i) => (
              <li key={i} className="flex items-start justify-between gap-2 rounded-md bg-slate-50 px-2 py-1">
                <span className="min-w-0 break-words">{describeChange(c)}</span>
                <button type="button" aria-label={`Remove change ${i + 1}`} onClick={() => setChanges((all) => all.filter((_, j) => j !== i))} className="text-slate-500 hover:text-red-600">
                  ✕
                </button>
              </li>
            ))}
          </ol>
        )}
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input id="plan-from-pricing" type="checkbox" checked={fromPricing} onChange={(e) => setFromPricing(e.target.checked)} />
          Start from the pricing suggestions
        </label>
        {problem && <ErrorBox message={problem} />}
        <Button onClick={submit} disabled={busy} className="w-full" data-testid="plan-submit">
          {busy ? "Saving…" : "Compute scenario"}
        </Button>
        <p className="text-xs text-slate-500">Scenarios never change your forecasts or recommendations until you adopt one.</p>
      </div>
    </Card>
  );
}

function ScenarioList(props: {
  items: ScenarioSummary[];
  selected: string | null;
  compare: string | null;
  onSelect: (id: string) => void;
  onCompare: (id: string | null) => void;
}) {
  return (
    <ul className="divide-y divide-slate-100" data-testid="plan-list">
      {props.items.map((s) => (
        <li key={s.id} className={cx("flex flex-wrap items-center gap-3 py-2", props.selected === s.id && "bg-indigo-50/50")} data-testid="plan-list-item" data-id={s.id}>
          <button type="button" onClick={() => props.onSelect(s.id)} className="min-w-0 basis-full text-left sm:flex-1 sm:basis-auto" aria-pressed={props.selected === s.id}>
            <span className="block truncate text-sm font-medium text-slate-900">{s.name}</span>
            <span className="block text-xs text-slate-500">{formatDateTime(s.created_at)}</span>
          </button>
          {isComputing(s.status) ? (
            <div className="w-28"><ProgressBar value={s.progress} label={`${s.name} progress`} /></div>
          ) : (
            <Badge tone={s.status === "succeeded" ? "green" : "red"}>{s.status}</Badge>
          )}
          {s.totals && (
            <span className="text-xs tabular-nums text-slate-600">
              {formatNumber(s.totals.scenario.units)} units · {formatMoney(s.totals.scenario.gross_margin)} margin
            </span>
          )}
          <label className="flex items-center gap-1 text-xs text-slate-600">
            <input type="checkbox" checked={props.compare === s.id} disabled={props.selected === s.id} onChange={(e) => props.onCompare(e.target.checked ? s.id : null)} />
            Compare
          </label>
        </li>
      ))}
    </ul>
  );
}

function Comparison(props: { a: ScenarioSummary; b: ScenarioSummary }) {
  const rows: { key: "units" | "revenue" | "gross_margin"; label: string; money: boolean }[] = [
    { key: "units", label: "Units", money: false },
    { key: "revenue", label: "Revenue", money: true },
    { key: "gross_margin", label: "Gross margin", money: true },
  ];
  const fmt = (v: number | null | undefined, money: boolean) => (money ? formatMoney(v) : formatNumber(v));
  return (
    <Card title="Comparison" testId="plan-compare">
      <div className="overflow-x-auto">
        <table className="min-w-full text-sm">
          <thead className="text-left text-slate-600">
            <tr>
              <th className="px-2 py-1 font-medium" scope="col">Baseline → scenario</th>
              <th className="px-2 py-1 text-right font-medium" scope="col">{props.a.name}</th>
              <th className="px-2 py-1 text-right font-medium" scope="col">{props.b.name}</th>
            </tr>
          </thead>
          <tbody className="tabular-nums">
            {rows.map((r) => (
              <tr key={r.key} className="border-t border-slate-100">
                <th scope="row" className="px-2 py-1 text-left font-normal">{r.label}</th>
                {([props.a, props.b] as const).map((s, i) => (
                  <td key={s.id} className="whitespace-nowrap px-2 py-1 text-right">
                    <span className="text-slate-500">{fmt(s.totals?.baseline[r.key], r.money)} → </span>
                    <span className="font-medium text-slate-900" data-testid={`compare-${i === 0 ? "a" : "b"}-${r.key}`}>
                      {fmt(s.totals?.scenario[r.key], r.money)}
                    </span>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="mt-2 text-xs text-slate-500">Each scenario is set against the baseline of the items it changes or affects (its own baseline).</p>
    </Card>
  );
}

export default function Plan() {
  useTitle("Plan");
  const [selected, setSelected] = useState<string | null>(null);
  const [compare, setCompare] = useState<string | null>(null);
  const list = useQuery(() => scenarios.list(), []);
  const items = useMemo(() => list.data?.items ?? [], [list.data]);
  const computing = items.some((s) => isComputing(s.status));
  useEffect(() => {
    // The list shows progress while any scenario computes.
    if (!computing) return;
    const timer = setInterval(list.reload, 1500);
    return () => clearInterval(timer);
  }, [computing, list.reload]);
  useEffect(() => {
    if (!selected && items[0]) setSelected(items[0].id);
  }, [items, selected]);
  const a = items.find((s) => s.id === selected);
  const b = items.find((s) => s.id === compare);
  return (
    <>
      <PageHeader
        title="Plan"
        subtitle="Weigh a price or a promotion before you make it: what you would sell, order and earn, against the baseline forecast."
      />
      <div className="grid gap-4 lg:grid-cols-3 lg:gap-6">
        <div className="lg:col-span-1">
          <ScenarioForm
            onCreated={(id) => {
              setSelected(id);
              list.reload();
            }}
          />
        </div>
        <div className="min-w-0 space-y-4 lg:col-span-2">
          <Card title="Scenarios">
            <QueryView query={list}>
              {(page) =>
                page.items.length === 0 ? (
                  <EmptyState title="No scenarios yet">
                    Choose items and a price or a promotion, then compute. Forecasts come first: <Link className="text-indigo-600 underline" to="/app/upload">upload sales</Link>.
                  </EmptyState>
                ) : (
                  <ScenarioList items={page.items} selected={selected} compare={compare} onSelect={setSelected} onCompare={setCompare} />
                )
              }
            </QueryView>
          </Card>
          {a && b && a.totals && b.totals && <Comparison a={a} b={b} />}
          {selected && (
            <ScenarioDetail
              key={selected}
              id={selected}
              onChanged={list.reload}
              onDeleted={() => {
                setSelected(null);
                setCompare(null);
                list.reload();
              }}
            />
          )}
        </div>
      </div>
    </>
  );
}
