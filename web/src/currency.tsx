// The organisation's currency: loaded with its settings once signed in, used by every amount shown.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { organization } from "./api/endpoints";
import { LoadingBlock } from "./components/ui";
import { getCurrency, setCurrency } from "./lib/format";

interface CurrencyState {
  currency: string;
  /** Show amounts in `code` from now on (after the settings were saved with it). */
  change: (code: string) => void;
}

const CurrencyContext = createContext<CurrencyState>({ currency: getCurrency(), change: () => {} });

/** Loads the organisation's currency before rendering its pages, so no amount shows in another. */
export function CurrencyProvider({ children }: { children: ReactNode }) {
  const [currency, setState] = useState<string | null>(null);
  const change = useCallback((code: string) => {
    setCurrency(code);
    setState(code);
  }, []);

  useEffect(() => {
    let alive = true;
    organization
      .settings()
      .then((settings) => alive && change(settings.currency ?? getCurrency()))
      // Settings unreadable: amounts in the default currency rather than no page at all.
      .catch(() => alive && change(getCurrency()));
    return () => {
      alive = false;
    };
  }, [change]);

  if (currency === null) return <div className="p-8"><LoadingBlock rows={4} /></div>;
  return <CurrencyContext.Provider value={{ currency, change }}>{children}</CurrencyContext.Provider>;
}

/** The organisation's currency and a way to switch the pages to a new one. */
export function useCurrency(): CurrencyState {
  return useContext(CurrencyContext);
}
