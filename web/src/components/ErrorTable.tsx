// The first rejected rows of an upload, in words, with the kinds counted above.
import type { RowError } from "../api/types";
import { errorCountsSorted, humanizeKind } from "../lib/mapping";
import { formatNumber } from "../lib/format";
import { Badge } from "./ui";

export function ErrorCounts({ counts }: { counts: Record<string, number> | null | undefined }) {
  const sorted = errorCountsSorted(counts);
  if (sorted.length === 0) return null;
  return (
    <ul className="flex flex-wrap gap-2" aria-label="Problems by kind">
      {sorted.map(([kind, n]) => (
        <li key={kind}>
          <Badge tone="red">
            {humanizeKind(kind)}: {formatNumber(n)}
          </Badge>
        </li>
      ))}
    </ul>
  );
}

export function ErrorTable({ errors, limit = 20 }: { errors: RowError[]; limit?: number }) {
  if (errors.length === 0) return null;
  const shown = errors.slice(0, limit);
  return (
    <div className="relative overflow-x-auto">
      <table className="min-w-full text-sm" data-testid="error-table">
        <caption className="sr-only">Rejected rows</caption>
        <thead className="border-b border-slate-200 text-left text-slate-600">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">Row</th>
            <th scope="col" className="px-3 py-2 font-medium">Column</th>
            <th scope="col" className="px-3 py-2 font-medium">Value</th>
            <th scope="col" className="px-3 py-2 font-medium">Problem</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {shown.map((e, i) => (
            <tr key={`${e.row}-${e.column}-${i}`}>
              <td className="px-3 py-2 tabular-nums">{e.row ?? "—"}</td>
              <td className="px-3 py-2 font-mono text-xs">{e.column ?? "—"}</td>
              <td className="max-w-[10rem] truncate px-3 py-2 font-mono text-xs" title={e.value ?? ""}>{e.value ?? ""}</td>
              <td className="px-3 py-2 text-slate-700">{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {errors.length > shown.length && (
        <p className="mt-2 text-xs text-slate-500">Showing the first {shown.length} of {errors.length} listed problems.</p>
      )}
    </div>
  );
}
