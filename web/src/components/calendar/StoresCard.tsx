// Stores and where they are: the country and subdivision choose each store's public holidays.
import { useState } from "react";
import { Link } from "react-router-dom";
import { calendar } from "../../api/endpoints";
import type { Store, StoreSaved } from "../../api/types";
import type { Query } from "../../hooks";
import { countryChoices, countryLabel, subdivisionsOf } from "../../lib/countries";
import { QueryView } from "../QueryView";
import { Button, Card, ErrorBox, inputClass } from "../ui";

function StoreRow(props: { store: Store; onSaved: (saved: StoreSaved) => void }) {
  const { store } = props;
  const [country, setCountry] = useState(store.country ?? "");
  const [subdivision, setSubdivision] = useState(store.subdivision ?? "");
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const changed = country !== (store.country ?? "") || subdivision !== (store.subdivision ?? "");
  const subdivisions = subdivisionsOf(country);

  async function save() {
    setSaving(true);
    setError(null);
    try {
      props.onSaved(await calendar.updateStore(store.store, { country: country || null, subdivision: subdivision || null }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <li className="py-3" data-testid="store-row" data-store={store.store}>
      <div className="flex flex-col gap-2 md:flex-row md:items-end">
        <div className="min-w-0 md:w-48">
          <div className="font-medium text-slate-900">{store.store}</div>
          <div className="truncate text-xs text-slate-500">{[store.name, store.city].filter(Boolean).join(" · ") || "No name yet"}</div>
        </div>
        <div className="grid flex-1 grid-cols-2 gap-2">
          <label className="text-xs text-slate-600">
            Country
            <select
              value={country}
              onChange={(e) => {
                setCountry(e.target.value);
                setSubdivision("");
              }}
              className={inputClass}
              aria-label={`Country of store ${store.store}`}
              data-testid="store-country"
            >
              <option value="">Organisation default</option>
              {countryChoices(store.country).map((c) => (
                <option key={c.code} value={c.code}>{c.label}</option>
              ))}
            </select>
          </label>
          <label className="text-xs text-slate-600">
            Subdivision
            <select
              value={subdivision}
              onChange={(e) => setSubdivision(e.target.value)}
              disabled={subdivisions.length === 0 && !subdivision}
              className={inputClass}
              aria-label={`Subdivision of store ${store.store}`}
              data-testid="store-subdivision"
            >
              <option value="">{subdivisions.length === 0 ? "None" : "Whole country"}</option>
              {[...new Set([...subdivisions, ...(subdivision ? [subdivision] : [])])].map((code) => (
                <option key={code} value={code}>{code}</option>
              ))}
            </select>
          </label>
        </div>
        <Button variant="secondary" disabled={!changed || saving} onClick={() => void save()} aria-label={`Save store ${store.store}`}>
          {saving ? "Saving…" : "Save"}
        </Button>
      </div>
      {error && <div className="mt-2"><ErrorBox message={error} /></div>}
    </li>
  );
}

/** `onSaved`: a store moved, so the events that apply to it changed too. */
export function StoresCard(props: { query: Query<{ items: Store[]; total: number }>; defaultCountry: string | null; onSaved: () => void }) {
  const [saved, setSaved] = useState<StoreSaved | null>(null);
  return (
    <Card title="Stores" testId="stores-card">
      <p className="mb-2 text-sm text-slate-600">
        Each store gets the public holidays of its country and subdivision. A store without a country uses the
        organisation's default, {countryLabel(props.defaultCountry)} (<Link to="/app/settings" className="text-indigo-600 underline">Settings</Link>). Add names,
        cities and opening dates with a <Link to="/app/upload?kind=stores" className="text-indigo-600 underline">stores file</Link>.
      </p>
      {saved && (
        <p role="status" className="mb-2 rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900" data-testid="store-saved">
          Saved store {saved.store}.{" "}
          {saved.job_id && (
            <>
              Forecasts follow its holidays once the engines have run again:{" "}
              <Link className="font-medium underline" to={`/app/jobs/${saved.job_id}`}>follow the job</Link>.
            </>
          )}
        </p>
      )}
      <QueryView query={props.query} notReady={<p className="text-sm text-slate-500">Stores appear once sales have been uploaded.</p>}>
        {(page) =>
          page.items.length === 0 ? (
            <p className="text-sm text-slate-500">No stores yet: they appear with your first sales upload, or upload a stores file.</p>
          ) : (
            <ul className="divide-y divide-slate-100" data-testid="store-list">
              {page.items.map((s) => (
                <StoreRow
                  key={`${s.store}:${s.country ?? ""}:${s.subdivision ?? ""}`}
                  store={s}
                  onSaved={(store) => {
                    setSaved(store);
                    props.query.reload();
                    props.onSaved();
                  }}
                />
              ))}
            </ul>
          )
        }
      </QueryView>
    </Card>
  );
}
