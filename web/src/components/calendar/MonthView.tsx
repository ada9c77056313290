// One month, Monday first: each day lists its events (names on wide screens, dots on phones).
import type { CalendarEvent } from "../../api/types";
import { eventsOn, monthGrid } from "../../lib/calendar";
import { parseDay } from "../../lib/format";
import { cx } from "../ui";
import { SOURCE_DOT } from "./EventBadge";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const SHOWN_PER_DAY = 3;

export function MonthView(props: { month: string; events: CalendarEvent[]; today: string }) {
  const weeks = monthGrid(props.month);
  return (
    <div className="overflow-hidden rounded-lg border border-slate-200" data-testid="month-view" data-month={props.month}>
      <div className="grid grid-cols-7 border-b border-slate-200 bg-slate-50 text-center text-xs font-medium text-slate-600">
        {WEEKDAYS.map((d) => (
          <div key={d} className="py-2">{d}</div>
        ))}
      </div>
      <div className="grid grid-cols-7">
        {weeks.flat().map((day) => {
          const events = eventsOn(props.events, day.date);
          const label = parseDay(day.date).getUTCDate();
          return (
            <div
              key={day.date}
              className={cx("min-h-14 border-b border-r border-slate-100 p-1 sm:min-h-24 sm:p-1.5", !day.inMonth && "bg-slate-50 text-slate-400")}
              data-testid={day.inMonth ? "month-day" : undefined}
              data-date={day.date}
              data-events={events.length}
            >
              <div className={cx("text-xs tabular-nums", day.date === props.today && "inline-flex h-5 w-5 items-center justify-center rounded-full bg-indigo-600 font-semibold text-white")}>
                {label}
              </div>
              {/* Phones: a dot per event (the list under the month names them). */}
              <div className="mt-1 flex flex-wrap gap-0.5 sm:hidden" aria-hidden="true">
                {events.map((e) => (
                  <span key={e.id} className={cx("h-1.5 w-1.5 rounded-full", SOURCE_DOT[e.source])} />
                ))}
              </div>
              <ul className="mt-1 hidden space-y-0.5 sm:block">
                {events.slice(0, SHOWN_PER_DAY).map((e) => (
                  <li key={e.id} className="flex min-w-0 items-center gap-1 text-xs text-slate-700" title={e.name}>
                    <span className={cx("h-1.5 w-1.5 shrink-0 rounded-full", SOURCE_DOT[e.source])} />
                    <span className="truncate">{e.name}</span>
                  </li>
                ))}
                {events.length > SHOWN_PER_DAY && <li className="text-xs text-slate-500">+{events.length - SHOWN_PER_DAY} more</li>}
              </ul>
            </div>
          );
        })}
      </div>
    </div>
  );
}
