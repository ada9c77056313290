import { describe, expect, it } from "vitest";
import type { CalendarEvent } from "../api/types";
import {
  chartSpan,
  draftProblem,
  eventsOn,
  filterEvents,
  markEvents,
  monthGrid,
  monthLabel,
  monthRange,
  ownEventCsv,
  shiftMonth,
  windowText,
} from "./calendar";

function event(e: Partial<CalendarEvent> & Pick<CalendarEvent, "id" | "name" | "start" | "end">): CalendarEvent {
  return {
    family: e.name.toLowerCase(),
    kind: null,
    source: "own",
    days_before: 0,
    days_after: 0,
    store: null,
    category: null,
    country: null,
    subdivision: null,
    ...e,
  };
}

describe("months", () => {
  it("moves across years and knows each month's days", () => {
    expect(shiftMonth("2024-12", 1)).toBe("2025-01");
    expect(shiftMonth("2024-01", -1)).toBe("2023-12");
    expect(monthLabel("2024-02")).toBe("February 2024");
    expect(monthRange("2024-02")).toEqual({ since: "2024-02-01", until: "2024-02-29" });
  });

  it("lays a month out in Monday-first weeks padded with the neighbours' days", () => {
    const weeks = monthGrid("2024-09"); // 1 September 2024 was a Sunday
    expect(weeks[0]!.map((d) => d.date)).toEqual([
      "2024-08-26", "2024-08-27", "2024-08-28", "2024-08-29", "2024-08-30", "2024-08-31", "2024-09-01",
    ]);
    expect(weeks[0]!.filter((d) => d.inMonth)).toHaveLength(1);
    expect(weeks).toHaveLength(6);
    expect(weeks[5]![0]).toEqual({ date: "2024-09-30", inMonth: true });
    expect(weeks.flat().filter((d) => d.inMonth)).toHaveLength(30);
  });
});

describe("events", () => {
  const events = [
    event({ id: "retail:us:black-friday:2024", name: "Black Friday", start: "2024-11-29", end: "2024-11-29", source: "retail", days_before: 3, days_after: 1 }),
    event({ id: "7", name: "Autumn sale", start: "2024-11-25", end: "2024-12-01" }),
    event({ id: "holiday:us:2024-11-28", name: "Thanksgiving", start: "2024-11-28", end: "2024-11-28", source: "holiday" }),
  ];

  it("finds the events of a day and filters by source, in date order", () => {
    expect(eventsOn(events, "2024-11-29").map((e) => e.id)).toEqual(["retail:us:black-friday:2024", "7"]);
    expect(eventsOn(events, "2024-12-02")).toEqual([]);
    expect(filterEvents(events, new Set(["own", "holiday"])).map((e) => e.name)).toEqual(["Autumn sale", "Thanksgiving"]);
  });

  it("says an event's window in words", () => {
    expect(windowText(events[0]!)).toBe("effect from 3 days before to 1 day after");
    expect(windowText(events[1]!)).toBeNull();
  });

  it("marks the chart rows an event falls in, daily or weekly", () => {
    const daily = markEvents([{ date: "2024-11-27" }, { date: "2024-11-28" }, { date: "2024-11-29" }], events, "D");
    expect(daily.map((r) => r.events ?? [])).toEqual([["Autumn sale"], ["Autumn sale", "Thanksgiving"], ["Black Friday", "Autumn sale"]]);
    expect(daily.every((r) => r.eventMark === 1)).toBe(true);
    const weekly = markEvents([{ date: "2024-11-18" }, { date: "2024-11-25" }, { date: "2024-12-02" }], events, "W");
    expect(weekly.map((r) => r.eventMark ?? 0)).toEqual([0, 1, 0]);
    expect(chartSpan(weekly, "W")).toEqual({ since: "2024-11-18", until: "2024-12-08" });
    expect(chartSpan([], "D")).toBeNull();
  });
});

describe("own events", () => {
  it("writes a one-row events file, quoting what needs it", () => {
    expect(ownEventCsv({ name: 'Spring "mega", sale', start: "2025-03-01", end: "2025-03-07", store: "S1" })).toBe(
      'name,start,end,store,category,kind\n"Spring ""mega"", sale",2025-03-01,2025-03-07,S1,,\n',
    );
  });

  it("says what a draft lacks", () => {
    expect(draftProblem({ name: " ", start: "2025-03-01", end: "2025-03-01" })).toMatch(/name/);
    expect(draftProblem({ name: "x", start: "", end: "2025-03-01" })).toMatch(/starts/);
    expect(draftProblem({ name: "x", start: "2025-03-02", end: "2025-03-01" })).toMatch(/before it starts/);
    expect(draftProblem({ name: "x", start: "2025-03-01", end: "2025-03-01" })).toBeNull();
  });
});
