// What the calendar shows: one store's events (or the organisation's), which sources, list or month.
import type { EventSource, Store } from "../../api/types";
import { EVENT_SOURCES, monthLabel, monthOf, shiftMonth } from "../../lib/calendar";
import { Button, Field, cx, inputClass } from "../ui";
import { SOURCE_DOT } from "./EventBadge";

export type CalendarView = "list" | "month";

export function EventFilters(props: {
  stores: Store[];
  store: string;
  onStore: (store: string) => void;
  sources: ReadonlySet<EventSource>;
  onToggle: (source: EventSource) => void;
  view: CalendarView;
  onView: (view: CalendarView) => void;
}) {
  return (
    <div className="mb-4 flex flex-col gap-3 sm:flex-row sm:flex-wrap sm:items-end sm:justify-between">
      <Field label="Store" htmlFor="cal-store" className="sm:w-56">
        <select id="cal-store" value={props.store} onChange={(e) => props.onStore(e.target.value)} className={inputClass}>
          <option value="">Organisation (default country)</option>
          {props.stores.map((s) => (
            <option key={s.store} value={s.store}>{s.name ? `${s.store} · ${s.name}` : s.store}</option>
          ))}
        </select>
      </Field>
      <fieldset className="flex flex-wrap gap-x-4 gap-y-1">
        <legend className="sr-only">Show</legend>
        {EVENT_SOURCES.map((s) => (
          <label key={s.key} className="flex min-h-10 items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" className="h-4 w-4" checked={props.sources.has(s.key)} onChange={() => props.onToggle(s.key)} data-testid={`source-${s.key}`} />
            <span className={cx("h-2 w-2 rounded-full", SOURCE_DOT[s.key])} aria-hidden="true" />
            {s.label}
          </label>
        ))}
      </fieldset>
      <div role="group" aria-label="View" className="inline-flex self-start rounded-lg bg-slate-100 p-0.5 text-sm font-medium sm:self-auto">
        {(["list", "month"] as const).map((v) => (
          <button
            key={v}
            type="button"
            aria-pressed={props.view === v}
            onClick={() => props.onView(v)}
            className={cx("rounded-md px-3 py-1.5", props.view === v ? "bg-white text-slate-900 shadow-sm" : "text-slate-600")}
          >
            {v === "list" ? "List" : "Month"}
          </button>
        ))}
      </div>
    </div>
  );
}

/** The month shown, with the previous and next months and this month a click away. */
export function MonthNav(props: { month: string; today: string; onMonth: (month: string) => void }) {
  return (
    <div className="mb-3 flex items-center justify-between gap-2">
      <Button variant="secondary" onClick={() => props.onMonth(shiftMonth(props.month, -1))} aria-label="Previous month">‹</Button>
      <div className="text-center">
        <h2 className="text-base font-semibold text-slate-900" data-testid="month-label">{monthLabel(props.month)}</h2>
        <button type="button" className="text-xs text-indigo-600 hover:underline" onClick={() => props.onMonth(monthOf(props.today))}>This month</button>
      </div>
      <Button variant="secondary" onClick={() => props.onMonth(shiftMonth(props.month, 1))} aria-label="Next month">›</Button>
    </div>
  );
}
