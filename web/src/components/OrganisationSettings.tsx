// The organisation's settings an owner changes here: currency, default country (whose holidays
// apply to stores without one) and how stock-outs found without stock data are treated.
import { useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { organization } from "../api/endpoints";
import type { StockoutHandling } from "../api/types";
import { useSession } from "../auth";
import { useCurrency } from "../currency";
import { useQuery } from "../hooks";
import { countryChoices } from "../lib/countries";
import { currencyChoices } from "../lib/currencies";
import { formatMoney } from "../lib/format";
import { Button, Card, ErrorBox, Field, inputClass } from "./ui";

const DEFAULT_COUNTRY = "US";
const DEFAULT_STOCKOUTS: StockoutHandling = "flag";

const STOCKOUT_CHOICES: { value: StockoutHandling; label: string; explanation: string }[] = [
  {
    value: "flag",
    label: "Flag them",
    explanation:
      "Runs of zero sales that the item's usual demand makes unlikely are reported as likely stock-outs, but the forecast still learns from the sales as they are. Periods your stock file shows as out of stock are always corrected.",
  },
  {
    value: "correct",
    label: "Correct for them",
    explanation:
      "Likely stock-outs are also treated like known ones: the forecast, prices and reorder points learn from the demand customers had, not from the empty shelf.",
  },
];

function StockoutChoice(props: { value: StockoutHandling; disabled: boolean; onChange: (value: StockoutHandling) => void }) {
  return (
    <fieldset data-testid="org-stockouts">
      <legend className="text-sm font-medium text-slate-700">Stock-outs found without stock data</legend>
      <div className="mt-2 space-y-3">
        {STOCKOUT_CHOICES.map((choice) => (
          <label key={choice.value} className="flex items-start gap-3 text-sm">
            <input
              type="radio"
              name="stockouts"
              value={choice.value}
              className="mt-1"
              checked={props.value === choice.value}
              disabled={props.disabled}
              onChange={() => props.onChange(choice.value)}
            />
            <span>
              <span className="font-medium text-slate-900">{choice.label}</span>
              <span className="block text-slate-600" data-testid={`stockouts-${choice.value}-explanation`}>{choice.explanation}</span>
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

export function OrganisationSettings() {
  const { me } = useSession();
  const { currency, change } = useCurrency();
  const settingsQ = useQuery(() => organization.settings(), []);
  const [picked, setPicked] = useState<{ currency?: string; country?: string; stockouts?: StockoutHandling }>({});
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [savedJob, setSavedJob] = useState<string | null>(null);
  const owner = me?.role === "owner";
  const stored = settingsQ.data;
  const value = {
    currency: picked.currency ?? currency,
    country: picked.country ?? stored?.country ?? DEFAULT_COUNTRY,
    stockouts: picked.stockouts ?? stored?.stockouts ?? DEFAULT_STOCKOUTS,
  };
  const currencies = useMemo(() => currencyChoices(currency), [currency]);
  const countries = useMemo(() => countryChoices(stored?.country), [stored?.country]);
  const changed =
    value.currency !== currency ||
    value.country !== (stored?.country ?? DEFAULT_COUNTRY) ||
    value.stockouts !== (stored?.stockouts ?? DEFAULT_STOCKOUTS);

  function pick(update: typeof picked) {
    setPicked((p) => ({ ...p, ...update }));
    setSavedJob(null);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!stored) return;
    setError(null);
    setSaving(true);
    try {
      // PUT replaces every setting: send the others back as they are.
      const saved = await organization.saveSettings({ ...stored, ...value });
      change(saved.settings.currency ?? value.currency);
      setPicked({});
      setSavedJob(saved.job_id);
      settingsQ.reload();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Card title="Organisation" testId="org-settings">
      {error && <div className="mb-4"><ErrorBox message={error} /></div>}
      {savedJob && (
        <p role="status" className="mb-4 rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900" data-testid="settings-saved">
          Saved. Pricing and inventory are being recalculated with the new settings:{" "}
          <Link className="font-medium underline" to={`/app/jobs/${savedJob}`}>follow the job</Link>.
        </p>
      )}
      <form onSubmit={save} className="space-y-5">
        <Field
          label="Currency"
          htmlFor="org-currency"
          hint={
            <>
              The currency of your sales data. Every amount is shown in it (for example {formatMoney(1234.5, value.currency)}) and the CSV
              exports name it in their <code className="font-mono text-xs">currency</code> column. Amounts are never converted.
            </>
          }
        >
          <select id="org-currency" value={value.currency} disabled={!owner || saving} onChange={(e) => pick({ currency: e.target.value })} className={inputClass} data-testid="org-currency">
            {currencies.map((c) => (
              <option key={c.code} value={c.code}>{c.label}</option>
            ))}
          </select>
        </Field>
        <Field
          label="Default country"
          htmlFor="org-country"
          hint={<>Its public holidays apply to every store without a country of its own (set stores' countries in the <Link to="/app/calendar" className="text-indigo-600 underline">Calendar</Link>).</>}
        >
          <select id="org-country" value={value.country} disabled={!owner || saving || !stored} onChange={(e) => pick({ country: e.target.value })} className={inputClass} data-testid="org-country">
            {countries.map((c) => (
              <option key={c.code} value={c.code}>{c.label}</option>
            ))}
          </select>
        </Field>
        <StockoutChoice value={value.stockouts} disabled={!owner || saving || !stored} onChange={(stockouts) => pick({ stockouts })} />
        {owner ? (
          <Button type="submit" disabled={saving || !stored || !changed}>
            {saving ? "Saving…" : "Save"}
          </Button>
        ) : (
          <p className="text-xs text-slate-500">Only an owner can change these.</p>
        )}
      </form>
    </Card>
  );
}
