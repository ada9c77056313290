// Events (issue #21): the month grid, source filters, the one-row upload of an own event, and
// the events marked on the forecast chart.
import type { CalendarEvent, EventSource } from "../api/types";
import { parseDay } from "./format";
import type { ChartRow } from "./series";

const DAY_MS = 86_400_000;
const MONTH_NAMES = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

export const EVENT_SOURCES: { key: EventSource; label: string; tone: "blue" | "amber" | "green" }[] = [
  { key: "holiday", label: "Public holidays", tone: "blue" },
  { key: "retail", label: "Retail events", tone: "amber" },
  { key: "own", label: "Your events", tone: "green" },
];

function dayIndex(day: string): number {
  return Math.round(parseDay(day.slice(0, 10)).getTime() / DAY_MS);
}

function isoDay(index: number): string {
  return new Date(index * DAY_MS).toISOString().slice(0, 10);
}

/** "YYYY-MM" of a day. */
export function monthOf(day: string): string {
  return day.slice(0, 7);
}

/** The month `delta` months from "YYYY-MM". */
export function shiftMonth(month: string, delta: number): string {
  const [year, m] = month.split("-").map(Number) as [number, number];
  const date = new Date(Date.UTC(year, m - 1 + delta, 1));
  return date.toISOString().slice(0, 7);
}

/** "March 2026". */
export function monthLabel(month: string): string {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return `${MONTH_NAMES[m - 1]} ${year}`;
}

/** First and last day of the month, "YYYY-MM-DD". */
export function monthRange(month: string): { since: string; until: string } {
  const since = `${month}-01`;
  const until = isoDay(dayIndex(`${shiftMonth(month, 1)}-01`) - 1);
  return { since, until };
}

export interface GridDay {
  date: string;
  inMonth: boolean;
}

/** The month's weeks, Monday first, padded with the neighbouring months' days. */
export function monthGrid(month: string): GridDay[][] {
  const { since, until } = monthRange(month);
  const first = dayIndex(since);
  const last = dayIndex(until);
  // 1970-01-01 was a Thursday: day index 0 is weekday 3 counting from Monday.
  const start = first - ((first + 3) % 7);
  const weeks: GridDay[][] = [];
  for (let day = start; day <= last; day += 7) {
    weeks.push(Array.from({ length: 7 }, (_, i) => ({ date: isoDay(day + i), inMonth: day + i >= first && day + i <= last })));
  }
  return weeks;
}

/** Events that fall on `day` (their start to end, inclusive). */
export function eventsOn(events: readonly CalendarEvent[], day: string): CalendarEvent[] {
  const index = dayIndex(day);
  return events.filter((e) => dayIndex(e.start) <= index && index <= dayIndex(e.end));
}

/** Events of the chosen sources, by start date then name. */
export function filterEvents(events: readonly CalendarEvent[], sources: ReadonlySet<EventSource>): CalendarEvent[] {
  return events
    .filter((e) => sources.has(e.source))
    .sort((a, b) => a.start.localeCompare(b.start) || a.name.localeCompare(b.name));
}

export interface OwnEventDraft {
  name: string;
  start: string;
  end: string;
  store?: string;
  category?: string;
  kind?: string;
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A one-row events file for `POST /upload-events` (name, start, end, store, category, kind). */
export function ownEventCsv(draft: OwnEventDraft): string {
  const columns = ["name", "start", "end", "store", "category", "kind"] as const;
  const values = columns.map((c) => csvCell((draft[c] ?? "").trim()));
  return `${columns.join(",")}\n${values.join(",")}\n`;
}

/** What is wrong with a draft, in words, or null when it can be sent. */
export function draftProblem(draft: OwnEventDraft): string | null {
  if (!draft.name.trim()) return "Give the event a name.";
  if (!/^\d{4}-\d{2}-\d{2}$/.test(draft.start)) return "Choose the day the event starts.";
  if (!/^\d{4}-\d{2}-\d{2}$/.test(draft.end)) return "Choose the day the event ends.";
  if (draft.end < draft.start) return "The event cannot end before it starts.";
  return null;
}

/** "24 Dec" window words: "3 days before, 1 after" (null when the event has no window). */
export function windowText(event: Pick<CalendarEvent, "days_before" | "days_after">): string | null {
  const before = event.days_before ?? 0;
  const after = event.days_after ?? 0;
  if (before <= 0 && after <= 0) return null;
  const parts = [];
  if (before > 0) parts.push(`${before} day${before === 1 ? "" : "s"} before`);
  if (after > 0) parts.push(`${after} day${after === 1 ? "" : "s"} after`);
  return `effect from ${parts.join(" to ")}`;
}

export interface EventRow extends ChartRow {
  /** 1 on rows an event falls in: drawn as a marker at the top of a hidden 0..1 axis. */
  eventMark?: number;
  events?: string[];
}

/** Mark every chart row (a day, or a Monday-based week) that an event falls in, with its names. */
export function markEvents<T extends ChartRow>(rows: readonly T[], events: readonly CalendarEvent[], freq: "D" | "W"): (T & EventRow)[] {
  const span = freq === "W" ? 6 : 0;
  return rows.map((row) => {
    const start = dayIndex(row.date);
    const names = events
      .filter((e) => dayIndex(e.start) <= start + span && dayIndex(e.end) >= start)
      .map((e) => e.name);
    if (names.length === 0) return { ...row };
    return { ...row, eventMark: 1, events: [...new Set(names)] };
  });
}

/** The chart's first and last day (the span of events worth asking for). */
export function chartSpan(rows: readonly ChartRow[], freq: "D" | "W"): { since: string; until: string } | null {
  if (rows.length === 0) return null;
  const last = rows[rows.length - 1]!.date;
  return { since: rows[0]!.date.slice(0, 10), until: freq === "W" ? isoDay(dayIndex(last) + 6) : last.slice(0, 10) };
}
