// Events as a list: dates, name, where they apply, their effect window, and delete for own events.
import type { CalendarEvent } from "../../api/types";
import { windowText } from "../../lib/calendar";
import { countryLabel } from "../../lib/countries";
import { formatDate } from "../../lib/format";
import { Button } from "../ui";
import { SourceBadge } from "./EventBadge";

function dates(event: CalendarEvent): string {
  return event.start === event.end ? formatDate(event.start) : `${formatDate(event.start)} – ${formatDate(event.end)}`;
}

function appliesTo(event: CalendarEvent): string {
  const parts: string[] = [];
  if (event.store) parts.push(`store ${event.store}`);
  if (event.category) parts.push(`category ${event.category}`);
  if (event.country) parts.push(event.subdivision ? `${countryLabel(event.country)}, ${event.subdivision}` : countryLabel(event.country));
  return parts.length > 0 ? parts.join(" · ") : "every store";
}

export function EventList(props: { events: CalendarEvent[]; onDelete: (event: CalendarEvent) => void; deleting: string | null }) {
  if (props.events.length === 0) return <p className="text-sm text-slate-500" data-testid="no-events">No events match.</p>;
  return (
    <ul className="divide-y divide-slate-100" data-testid="event-list">
      {props.events.map((event) => (
        <li
          key={event.id}
          className="flex flex-col gap-2 py-3 sm:flex-row sm:items-center sm:justify-between"
          data-testid="event-row"
          data-event-id={event.id}
          data-source={event.source}
        >
          <div className="min-w-0">
            <div className="flex flex-wrap items-center gap-2">
              <span className="font-medium text-slate-900" data-col="name">{event.name}</span>
              <SourceBadge source={event.source} />
              {event.kind && <span className="text-xs text-slate-500">{event.kind}</span>}
            </div>
            <div className="mt-0.5 text-xs text-slate-600">
              <span data-col="dates">{dates(event)}</span> · {appliesTo(event)}
              {windowText(event) ? ` · ${windowText(event)}` : ""}
            </div>
          </div>
          {event.source === "own" && (
            <Button variant="danger" className="self-start sm:self-auto" disabled={props.deleting === event.id} onClick={() => props.onDelete(event)} aria-label={`Delete event ${event.name}`}>
              {props.deleting === event.id ? "Deleting…" : "Delete"}
            </Button>
          )}
        </li>
      ))}
    </ul>
  );
}
