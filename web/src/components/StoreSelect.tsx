// Store picker: the stores the platform knows (from the store-level forecast), or free text before that exists.
import { forecasts } from "../api/endpoints";
import { useQuery } from "../hooks";
import { Field, inputClass } from "./ui";

export function StoreSelect(props: { id: string; value: string; onChange: (store: string) => void; className?: string }) {
  const q = useQuery(() => forecasts.aggregate("store"), []);
  const stores = (q.data?.items ?? []).map((i) => i.key).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return (
    <Field label="Store" htmlFor={props.id} className={props.className}>
      {stores.length > 0 ? (
        <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)} className={inputClass}>
          <option value="">All stores</option>
          {stores.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={props.id}
          type="search"
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          placeholder="Store code"
          className={inputClass}
        />
      )}
    </Field>
  );
}
