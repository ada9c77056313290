// Small data-loading hooks: each page states what it needs, these handle loading and errors.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "./api/http";

export interface Query<T> {
  data: T | undefined;
  error: string | null;
  status: number | null;
  loading: boolean;
  reload: () => void;
}

/** Run `load` when `deps` change; keeps the previous data while reloading to avoid flicker. */
export function useQuery<T>(load: () => Promise<T>, deps: unknown[]): Query<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let alive = true;
    setLoading(true);
    loadRef
      .current()
      .then((value) => {
        if (!alive) return;
        setData(value);
        setError(null);
        setStatus(null);
      })
      .catch((err: unknown) => {
        if (!alive) return;
        setError(err instanceof Error ? err.message : String(err));
        setStatus(err instanceof ApiError ? err.status : null);
      })
      .finally(() => {
        if (alive) setLoading(false);
      });
    return () => {
      alive = false;
    };
    // `deps` are the caller's: `load` is read through a ref so a new closure alone does not refetch.
  }, [...deps, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, status, loading, reload };
}

/** `value` after it has stopped changing for `delay` ms (for search boxes and sliders). */
export function useDebounced<T>(value: T, delay = 300): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

/** Set the document title for the page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · SmartRetail AI`;
  }, [title]);
}
