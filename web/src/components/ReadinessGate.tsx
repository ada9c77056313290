// Holds the app behind a clear "starting" screen until every service answers the gateway's /ready.
import { useEffect, useState, type ReactNode } from "react";
import { pollUntilReady, serviceLabel, type Readiness } from "../lib/readiness";
import { LoadingBlock } from "./ui";

const HEADINGS: Record<Exclude<Readiness["phase"], "ready">, string> = {
  starting: "SmartRetail AI is starting",
  degraded: "Some services are not answering",
  unreachable: "SmartRetail AI is not answering yet",
};

function StartingScreen({ readiness }: { readiness: Readiness }) {
  const phase = readiness.phase === "ready" ? "starting" : readiness.phase;
  return (
    <main className="flex min-h-screen items-center justify-center bg-slate-50 px-4" data-testid="starting" data-phase={phase}>
      <div className="w-full max-w-md rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <div className="flex items-center gap-3">
          <span aria-hidden="true" className="h-3 w-3 animate-pulse rounded-full bg-amber-400" />
          <h1 className="text-lg font-semibold text-slate-900">{HEADINGS[phase]}</h1>
        </div>
        <p className="mt-2 text-sm text-slate-600" aria-live="polite">
          {readiness.services.length > 0
            ? `${readiness.services.length - readiness.waiting.length} of ${readiness.services.length} services ready. This page opens by itself once all are.`
            : "Waiting for the server. This page opens by itself once it answers."}
        </p>
        {readiness.services.length > 0 && (
          <ul className="mt-4 space-y-2 text-sm" data-testid="starting-services">
            {readiness.services.map(({ service, state }) => (
              <li key={service} className="flex items-start justify-between gap-4" data-service={service} data-state={state === "ok" ? "ok" : "waiting"}>
                <span className="font-medium text-slate-800">{serviceLabel(service)}</span>
                <span className={state === "ok" ? "text-emerald-700" : "text-right text-amber-800"}>{state === "ok" ? "ready" : state}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </main>
  );
}

export function ReadinessGate({ children }: { children: ReactNode }) {
  const [readiness, setReadiness] = useState<Readiness | null>(null);

  useEffect(() => {
    const stop = new AbortController();
    void pollUntilReady(setReadiness, { signal: stop.signal });
    return () => stop.abort();
  }, []);

  if (readiness === null) return <div className="p-8"><LoadingBlock rows={4} label="Connecting" /></div>;
  if (!readiness.ready) return <StartingScreen readiness={readiness} />;
  return <>{children}</>;
}
