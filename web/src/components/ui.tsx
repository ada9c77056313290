// Shared building blocks: cards, badges, buttons, skeletons, empty and error states.
import type { ButtonHTMLAttributes, ReactNode } from "react";
import { Link } from "react-router-dom";
import type { Tone } from "../lib/jobs";

export function cx(...names: (string | false | null | undefined)[]): string {
  return names.filter(Boolean).join(" ");
}

export function PageHeader(props: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="mb-6 flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{props.title}</h1>
        {props.subtitle && <p className="mt-1 text-sm text-slate-600">{props.subtitle}</p>}
      </div>
      {props.actions && <div className="flex flex-wrap gap-2">{props.actions}</div>}
    </div>
  );
}

export function Card(props: {
  title?: ReactNode;
  to?: string;
  linkLabel?: string;
  children: ReactNode;
  className?: string;
  testId?: string;
  actions?: ReactNode;
}) {
  return (
    <section
      className={cx("rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-5", props.className)}
      data-testid={props.testId}
    >
      {(props.title || props.to || props.actions) && (
        <div className="mb-3 flex flex-wrap items-start justify-between gap-3">
          {props.title && <h2 className="text-sm font-semibold text-slate-700">{props.title}</h2>}
          <div className="flex min-w-0 max-w-full items-center gap-2">
            {props.actions}
            {props.to && (
              <Link
                to={props.to}
                className="shrink-0 rounded text-sm font-medium text-indigo-600 hover:text-indigo-800"
              >
                {props.linkLabel ?? "Open"} <span aria-hidden="true">→</span>
              </Link>
            )}
          </div>
        </div>
      )}
      {props.children}
    </section>
  );
}

export function Stat(props: {
  label: string;
  value: ReactNode;
  hint?: ReactNode;
  testId?: string;
  raw?: number | string | null;
}) {
  return (
    <div>
      <div className="text-xs font-medium uppercase tracking-wide text-slate-500">{props.label}</div>
      <div
        className="mt-1 text-2xl font-semibold tabular-nums text-slate-900"
        data-testid={props.testId}
        data-value={props.raw ?? undefined}
      >
        {props.value}
      </div>
      {props.hint && <div className="mt-1 text-xs text-slate-500">{props.hint}</div>}
    </div>
  );
}

const TONES: Record<Tone, string> = {
  green: "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
  red: "bg-red-50 text-red-700 ring-red-600/20",
  blue: "bg-sky-50 text-sky-700 ring-sky-600/20",
  amber: "bg-amber-50 text-amber-800 ring-amber-600/20",
  slate: "bg-slate-100 text-slate-700 ring-slate-500/20",
};

export function Badge(props: { tone?: Tone; children: ReactNode }) {
  return (
    <span
      className={cx(
        "inline-flex items-center rounded-md px-2 py-0.5 text-xs font-medium ring-1 ring-inset whitespace-nowrap",
        TONES[props.tone ?? "slate"],
      )}
    >
      {props.children}
    </span>
  );
}

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & { variant?: "primary" | "secondary" | "ghost" | "danger" };

export function Button({ variant = "primary", className, ...rest }: ButtonProps) {
  const styles = {
    primary: "bg-indigo-600 text-white hover:bg-indigo-700 disabled:bg-indigo-300",
    secondary: "bg-white text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:text-slate-400",
    ghost: "text-slate-700 hover:bg-slate-100",
    danger: "bg-white text-red-700 ring-1 ring-inset ring-red-300 hover:bg-red-50",
  }[variant];
  return (
    <button
      type="button"
      {...rest}
      className={cx(
        "inline-flex min-h-10 items-center justify-center gap-2 rounded-lg px-4 py-2 text-sm font-medium transition-colors disabled:cursor-not-allowed",
        styles,
        className,
      )}
    />
  );
}

export function Skeleton(props: { className?: string }) {
  return <div aria-hidden="true" className={cx("animate-pulse rounded-md bg-slate-200", props.className)} />;
}

export function LoadingBlock(props: { rows?: number; label?: string }) {
  return (
    <div role="status" aria-live="polite" className="space-y-3">
      <span className="sr-only">{props.label ?? "Loading…"}</span>
      {Array.from({ length: props.rows ?? 3 }, (_, i) => (
        <Skeleton key={i} className={cx("h-5", i % 2 ? "w-2/3" : "w-full")} />
      ))}
    </div>
  );
}

export function ChartSkeleton(props: { height?: number }) {
  return (
    <div role="status" className="w-full" style={{ height: props.height ?? 260 }}>
      <span className="sr-only">Loading chart…</span>
      <Skeleton className="h-full w-full" />
    </div>
  );
}

export function EmptyState(props: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center" data-testid="empty-state">
      <h3 className="text-base font-semibold text-slate-800">{props.title}</h3>
      {props.children && <div className="mx-auto mt-2 max-w-md text-sm text-slate-600">{props.children}</div>}
      {props.action && <div className="mt-4 flex justify-center">{props.action}</div>}
    </div>
  );
}

export function ErrorBox(props: { message: string; onRetry?: () => void }) {
  return (
    <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
      <p>{props.message}</p>
      {props.onRetry && (
        <button type="button" onClick={props.onRetry} className="mt-2 font-medium underline hover:no-underline">
          Try again
        </button>
      )}
    </div>
  );
}

export function ProgressBar(props: { value: number; label: string; tone?: Tone }) {
  const pct = Math.round(Math.min(1, Math.max(0, props.value)) * 100);
  const color = { green: "bg-emerald-500", red: "bg-red-500", blue: "bg-indigo-500", amber: "bg-amber-400", slate: "bg-slate-400" }[
    props.tone ?? "blue"
  ];
  return (
    <div
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
    >
      <div className={cx("h-full rounded-full transition-all duration-500", color)} style={{ width: `${pct}%` }} />
    </div>
  );
}

export function Field(props: { label: string; htmlFor: string; hint?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <div className={props.className}>
      <label htmlFor={props.htmlFor} className="block text-sm font-medium text-slate-700">
        {props.label}
      </label>
      <div className="mt-1">{props.children}</div>
      {props.hint && <p className="mt-1 text-xs text-slate-500">{props.hint}</p>}
    </div>
  );
}

export const inputClass =
  "block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600";

export function SortHeader<K extends string>(props: {
  label: string;
  column: K;
  sort: { key: K; dir: "asc" | "desc" };
  onSort: (column: K) => void;
  align?: "left" | "right";
  className?: string;
}) {
  const active = props.sort.key === props.column;
  return (
    <th
      scope="col"
      aria-sort={active ? (props.sort.dir === "asc" ? "ascending" : "descending") : "none"}
      className={cx("px-3 py-2 font-medium", props.align === "right" ? "text-right" : "text-left", props.className)}
    >
      <button
        type="button"
        onClick={() => props.onSort(props.column)}
        className={cx(
          "inline-flex items-center gap-1 rounded hover:text-slate-900",
          active ? "text-slate-900" : "text-slate-600",
        )}
      >
        {props.label}
        <span aria-hidden="true" className="text-xs">
          {active ? (props.sort.dir === "asc" ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
}

export function Pager(props: { offset: number; limit: number; total: number; onChange: (offset: number) => void }) {
  if (props.total <= props.limit) return null;
  const from = props.offset + 1;
  const to = Math.min(props.total, props.offset + props.limit);
  return (
    <nav aria-label="Pages" className="mt-3 flex items-center justify-between text-sm text-slate-600">
      <span>
        {from}–{to} of {props.total}
      </span>
      <div className="flex gap-2">
        <Button variant="secondary" disabled={props.offset === 0} onClick={() => props.onChange(Math.max(0, props.offset - props.limit))}>
          Previous
        </Button>
        <Button variant="secondary" disabled={to >= props.total} onClick={() => props.onChange(props.offset + props.limit)}>
          Next
        </Button>
      </div>
    </nav>
  );
}
