// Settings: the account, sign out, the organisation's settings, and API keys for connecting other systems.
import { useState, type FormEvent } from "react";
import { apiKeys } from "../api/endpoints";
import type { ApiKey, ApiKeyCreated } from "../api/types";
import { useSession } from "../auth";
import { OrganisationSettings } from "../components/OrganisationSettings";
import { QueryView } from "../components/QueryView";
import { Button, Card, ErrorBox, Field, PageHeader, inputClass } from "../components/ui";
import { useQuery, useTitle } from "../hooks";
import { formatDateTime } from "../lib/format";

/** A key just created: shown once, with a button to copy it. */
function NewKeyNotice({ apiKey, copied, onCopied }: { apiKey: string; copied: boolean; onCopied: () => void }) {
  return (
    <div role="status" className="mb-4 rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm">
      <p className="font-medium text-emerald-900">Copy this key now: it will not be shown again.</p>
      <div className="mt-2 flex flex-col gap-2 sm:flex-row sm:items-center">
        <code data-testid="new-api-key" className="block min-w-0 flex-1 break-all rounded bg-white px-2 py-1 font-mono text-xs ring-1 ring-emerald-200">{apiKey}</code>
        <Button
          variant="secondary"
          onClick={() => {
            void navigator.clipboard?.writeText(apiKey).then(onCopied);
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
    </div>
  );
}

function ApiKeyItems({ keys, onRevoke }: { keys: ApiKey[]; onRevoke: (id: string) => void }) {
  if (keys.length === 0) return <p className="text-sm text-slate-500">No keys yet.</p>;
  return (
    <ul className="divide-y divide-slate-100">
      {keys.map((k) => (
        <li key={k.id} className="flex flex-col gap-2 py-3 sm:flex-row sm:items-center sm:justify-between">
          <div>
            <div className="font-medium text-slate-900">{k.name}</div>
            <div className="text-xs text-slate-500">
              {k.prefix ? <span className="font-mono">{k.prefix}… · </span> : null}
              {(k.scopes ?? []).join(", ")} · created {formatDateTime(k.created_at)}
              {k.last_used_at ? ` · last used ${formatDateTime(k.last_used_at)}` : ""}
            </div>
          </div>
          <Button variant="danger" onClick={() => onRevoke(k.id)} aria-label={`Revoke key ${k.name}`}>
            Revoke
          </Button>
        </li>
      ))}
    </ul>
  );
}

function ApiKeys() {
  const keysQ = useQuery(() => apiKeys.list(), []);
  const [name, setName] = useState("");
  // null until the user touches a box: then the default is every read scope the server offers.
  const [picked, setPicked] = useState<string[] | null>(null);
  const offered = keysQ.data?.scopes ?? {};
  const scopes = picked ?? Object.keys(offered).filter((s) => s.endsWith(":read"));
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  async function create(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setCopied(false);
    try {
      setCreated(await apiKeys.create(name.trim(), scopes));
      setName("");
      setPicked(null);
      keysQ.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  async function revoke(id: string) {
    setError(null);
    try {
      await apiKeys.revoke(id);
      keysQ.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Card title="API keys" testId="api-keys">
      <p className="mb-4 text-sm text-slate-600">Let your point-of-sale or ERP system send sales and read results without a password.</p>
      {error && <div className="mb-4"><ErrorBox message={error} /></div>}
      {created && <NewKeyNotice apiKey={created.key} copied={copied} onCopied={() => setCopied(true)} />}
      <form onSubmit={create} className="mb-6 space-y-3">
        <Field label="Key name" htmlFor="key-name" hint="For example the system that will use it.">
          <input id="key-name" required value={name} onChange={(e) => setName(e.target.value)} className={inputClass} placeholder="Till system" />
        </Field>
        <fieldset>
          <legend className="text-sm font-medium text-slate-700">Allowed to</legend>
          <div className="mt-1 grid gap-1 sm:grid-cols-2">
            {Object.entries(offered).map(([scope, description]) => (
              <label key={scope} className="flex items-start gap-2 text-sm">
                <input
                  type="checkbox"
                  className="mt-1"
                  checked={scopes.includes(scope)}
                  onChange={(e) => setPicked(e.target.checked ? [...scopes, scope] : scopes.filter((x) => x !== scope))}
                />
                <span>
                  <span className="font-mono text-xs">{scope}</span>
                  <span className="block text-xs text-slate-500">{description}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <Button type="submit" disabled={!name.trim() || scopes.length === 0}>Create key</Button>
      </form>
      <QueryView query={keysQ} notReady={<p className="text-sm text-slate-500">API keys are not available on this server yet.</p>}>
        {({ items: keys }) => <ApiKeyItems keys={keys} onRevoke={(id) => void revoke(id)} />}
      </QueryView>
    </Card>
  );
}

export default function Settings() {
  useTitle("Settings");
  const { me, signOut } = useSession();
  return (
    <>
      <PageHeader title="Settings" />
      <div className="grid gap-4 lg:grid-cols-2 lg:gap-6">
        <Card title="Account">
          <dl className="space-y-2 text-sm">
            <div><dt className="inline text-slate-500">Name: </dt><dd className="inline font-medium">{me?.name ?? "…"}</dd></div>
            <div><dt className="inline text-slate-500">Email: </dt><dd className="inline font-medium" data-testid="me-email">{me?.email ?? "…"}</dd></div>
            <div><dt className="inline text-slate-500">Organisation: </dt><dd className="inline font-medium">{me?.organization_name ?? "…"}</dd></div>
            <div><dt className="inline text-slate-500">Role: </dt><dd className="inline font-medium">{me?.role ?? "…"}</dd></div>
          </dl>
          <Button variant="secondary" className="mt-4" onClick={() => void signOut()}>
            Sign out
          </Button>
        </Card>
        <OrganisationSettings />
        <ApiKeys />
      </div>
    </>
  );
}
