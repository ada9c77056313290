// An event's source as a coloured badge, the same colours in the list, the month and the chart notes.
import type { EventSource } from "../../api/types";
import { EVENT_SOURCES } from "../../lib/calendar";
import { Badge } from "../ui";

export const SOURCE_DOT: Record<EventSource, string> = { holiday: "bg-sky-500", retail: "bg-amber-500", own: "bg-emerald-500" };

export function SourceBadge({ source }: { source: EventSource }) {
  const info = EVENT_SOURCES.find((s) => s.key === source);
  return <Badge tone={info?.tone ?? "slate"}>{info?.label.replace(/s$/, "") ?? source}</Badge>;
}
