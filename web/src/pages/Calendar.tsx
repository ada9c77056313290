// Calendar: the events the forecast knows (public holidays, retail events, your own) as a list or a
// month, adding and deleting your own, and where each store is (its holidays follow its country).
import { useState } from "react";
import { calendar, organization } from "../api/endpoints";
import type { CalendarEvent, EventSource } from "../api/types";
import { EventFilters, MonthNav, type CalendarView } from "../components/calendar/EventFilters";
import { EventList } from "../components/calendar/EventList";
import { MonthView } from "../components/calendar/MonthView";
import { OwnEventForm } from "../components/calendar/OwnEventForm";
import { StoresCard } from "../components/calendar/StoresCard";
import { DataUpload } from "../components/DataUpload";
import { QueryView } from "../components/QueryView";
import { Card, ErrorBox, PageHeader, cx } from "../components/ui";
import { useQuery, useTitle } from "../hooks";
import { EVENT_SOURCES, filterEvents, monthOf, monthRange } from "../lib/calendar";
import { uploadKind } from "../lib/uploads";

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export default function Calendar() {
  useTitle("Calendar");
  const [view, setView] = useState<CalendarView>("list");
  const [month, setMonth] = useState(monthOf(today()));
  const [store, setStore] = useState("");
  const [sources, setSources] = useState<Set<EventSource>>(new Set(EVENT_SOURCES.map((s) => s.key)));
  const [deleting, setDeleting] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const storesQ = useQuery(() => calendar.stores(), []);
  const settingsQ = useQuery(() => organization.settings(), []);
  // The list covers the default window (first sales to the forecast's end); the month asks for its own days.
  const range = view === "month" ? monthRange(month) : null;
  const eventsQ = useQuery(
    () => calendar.allEvents({ store: store || undefined, since: range?.since, until: range?.until }),
    [store, range?.since, range?.until],
  );

  function toggle(source: EventSource) {
    setSources((current) => {
      const next = new Set(current);
      if (next.has(source)) next.delete(source);
      else next.add(source);
      return next;
    });
  }

  async function remove(event: CalendarEvent) {
    setDeleting(event.id);
    setActionError(null);
    setNotice(null);
    try {
      await calendar.removeEvent(event.id);
      setNotice(`Deleted “${event.name}”. The forecast is updated on its next run.`);
      eventsQ.reload();
    } catch (err) {
      setActionError((err as Error).message);
    } finally {
      setDeleting(null);
    }
  }

  function added(what: string) {
    setNotice(what);
    setActionError(null);
    eventsQ.reload();
  }

  const stores = storesQ.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Calendar"
        subtitle="The events the forecast learns from: public holidays of each store's country, retail events, and your own campaigns and local events."
      />
      <div className="grid gap-4 lg:grid-cols-3 lg:gap-6">
        <Card className="lg:col-span-2" testId="events-card">
          <EventFilters stores={stores} store={store} onStore={setStore} sources={sources} onToggle={toggle} view={view} onView={setView} />
          {view === "month" && <MonthNav month={month} today={today()} onMonth={setMonth} />}
          {actionError && <div className="mb-3"><ErrorBox message={actionError} /></div>}
          {notice && <p role="status" className="mb-3 rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900" data-testid="calendar-notice">{notice}</p>}
          <QueryView query={eventsQ} notReady={<p className="text-sm text-slate-500">The calendar is not available yet.</p>}>
            {(page) => {
              const shown = filterEvents(page.items, sources);
              return (
                <div data-testid="events" data-total={page.total} data-shown={shown.length}>
                  {view === "month" && <MonthView month={month} events={shown} today={today()} />}
                  <div className={cx(view === "month" && "mt-4")}>
                    <EventList events={shown} onDelete={(e) => void remove(e)} deleting={deleting} />
                  </div>
                </div>
              );
            }}
          </QueryView>
        </Card>
        <div className="space-y-4 lg:space-y-6">
          <Card title="Add your own event" testId="add-event-card">
            <OwnEventForm stores={stores} onAdded={() => added("Event added. Forecasting runs again to learn its effect.")} />
          </Card>
          <Card title="Upload events" testId="upload-events-card">
            <DataUpload kind={{ ...uploadKind("events"), key: "events" }} onUploaded={() => added("Events uploaded. Forecasting runs again to learn their effect.")} />
          </Card>
        </div>
        <div className="lg:col-span-3">
          <StoresCard query={storesQ} defaultCountry={settingsQ.data?.country ?? null} onSaved={eventsQ.reload} />
        </div>
      </div>
    </>
  );
}
