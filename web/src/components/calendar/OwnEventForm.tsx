// Add one own event: the form becomes a one-row events file for POST /upload-events, so it is
// validated exactly like an uploaded one.
import { useState, type FormEvent } from "react";
import { dataUploads } from "../../api/endpoints";
import { ApiError } from "../../api/http";
import type { DataUploadAccepted, Store, UploadRejected } from "../../api/types";
import { draftProblem, ownEventCsv, type OwnEventDraft } from "../../lib/calendar";
import { isRejected } from "../../lib/uploads";
import { ErrorTable } from "../ErrorTable";
import { Button, ErrorBox, Field, inputClass } from "../ui";

const EMPTY: OwnEventDraft = { name: "", start: "", end: "", store: "", category: "", kind: "" };

export function OwnEventForm(props: { stores: Store[]; onAdded: (result: DataUploadAccepted) => void }) {
  const [draft, setDraft] = useState<OwnEventDraft>(EMPTY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [rejected, setRejected] = useState<UploadRejected | null>(null);
  const set = (key: keyof OwnEventDraft, value: string) => setDraft((d) => ({ ...d, [key]: value }));
  const problem = draftProblem(draft);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (problem) return;
    setBusy(true);
    setError(null);
    setRejected(null);
    try {
      const file = new File([ownEventCsv(draft)], "event.csv", { type: "text/csv" });
      const result = await dataUploads.submit("events", file);
      setDraft(EMPTY);
      props.onAdded(result);
    } catch (err) {
      if (err instanceof ApiError && isRejected(err.body)) setRejected(err.body);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} className="space-y-3" data-testid="own-event-form">
      <Field label="Name" htmlFor="event-name">
        <input id="event-name" required value={draft.name} onChange={(e) => set("name", e.target.value)} className={inputClass} placeholder="Spring campaign" />
      </Field>
      <div className="grid grid-cols-2 gap-3">
        <Field label="Starts" htmlFor="event-start">
          <input
            id="event-start"
            type="date"
            required
            value={draft.start}
            onChange={(e) => setDraft((d) => ({ ...d, start: e.target.value, end: d.end && d.end >= e.target.value ? d.end : e.target.value }))}
            className={inputClass}
          />
        </Field>
        <Field label="Ends" htmlFor="event-end">
          <input id="event-end" type="date" required min={draft.start || undefined} value={draft.end} onChange={(e) => set("end", e.target.value)} className={inputClass} />
        </Field>
      </div>
      <div className="grid grid-cols-2 gap-3">
        <Field label="Store" htmlFor="event-store" className="col-span-2">
          <select id="event-store" value={draft.store} onChange={(e) => set("store", e.target.value)} className={inputClass}>
            <option value="">Every store</option>
            {props.stores.map((s) => (
              <option key={s.store} value={s.store}>{s.name ? `${s.store} · ${s.name}` : s.store}</option>
            ))}
          </select>
        </Field>
        <Field label="Category" htmlFor="event-category" hint="Optional">
          <input id="event-category" value={draft.category} onChange={(e) => set("category", e.target.value)} className={inputClass} placeholder="All" />
        </Field>
        <Field label="Kind" htmlFor="event-kind" hint="Events of a kind share their effect">
          <input id="event-kind" value={draft.kind} onChange={(e) => set("kind", e.target.value)} className={inputClass} placeholder="campaign" />
        </Field>
      </div>
      {error && <ErrorBox message={error} />}
      {rejected && <ErrorTable errors={rejected.errors} />}
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={busy || problem !== null} data-testid="add-event">
          {busy ? "Adding…" : "Add event"}
        </Button>
        {problem && draft.name + draft.start + draft.end !== "" && <span className="text-sm text-slate-600">{problem}</span>}
      </div>
    </form>
  );
}
