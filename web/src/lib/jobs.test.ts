import { describe, expect, it } from "vitest";
import type { Job } from "../api/types";
import { isJobSettled, overallProgress, stageViews, statusTone } from "./jobs";

function job(status: Job["status"], stages: Job["stages"]): Pick<Job, "status" | "stages"> {
  return { status, stages };
}

describe("job stages", () => {
  it("lists the five stages in pipeline order, pending when not reported", () => {
    const views = stageViews(job("running", { ingest: { status: "running", progress: 0.5, error: null } }));
    expect(views.map((s) => s.key)).toEqual(["ingest", "forecasting", "segmentation", "pricing", "inventory"]);
    expect(views[0]).toMatchObject({ status: "running", progress: 0.5 });
    expect(views[1]).toMatchObject({ status: "pending", progress: 0 });
  });

  it("averages progress, counting finished stages as complete and clamping bad values", () => {
    const j = job("running", {
      ingest: { status: "succeeded", progress: 0.2, error: null },
      forecasting: { status: "running", progress: 1.7, error: null },
      segmentation: { status: "failed", progress: 0.1, error: "no customer_id column" },
      pricing: { status: "running", progress: -1, error: null },
    });
    // 1 + 1 (clamped) + 1 (failed is finished) + 0 + 0 over five stages.
    expect(overallProgress(j)).toBeCloseTo(3 / 5);
  });

  it("is settled only when the job ended and no stage is still working", () => {
    expect(isJobSettled(job("failed", { ingest: { status: "failed", progress: 0, error: "bad file" } }))).toBe(true);
    // Forecasting failed while segmentation still runs: keep watching until it ends.
    const partly = job("failed", {
      ingest: { status: "succeeded", progress: 1, error: null },
      forecasting: { status: "failed", progress: 0.3, error: "boom" },
      segmentation: { status: "running", progress: 0.5, error: null },
      pricing: { status: "queued", progress: 0, error: null },
    });
    expect(isJobSettled(partly)).toBe(false);
    partly.stages.segmentation = { status: "succeeded", progress: 1, error: null };
    expect(isJobSettled(partly)).toBe(true);
    expect(isJobSettled(job("running", {}))).toBe(false);
    expect(
      isJobSettled(
        job("succeeded", {
          ingest: { status: "succeeded", progress: 1, error: null },
          forecasting: { status: "running", progress: 0.4, error: null },
        }),
      ),
    ).toBe(false);
    const done = job("succeeded", {
      ingest: { status: "succeeded", progress: 1, error: null },
      forecasting: { status: "succeeded", progress: 1, error: null },
      segmentation: { status: "skipped", progress: 0, error: null },
      pricing: { status: "succeeded", progress: 1, error: null },
      inventory: { status: "succeeded", progress: 1, error: null },
    });
    expect(isJobSettled(done)).toBe(true);
    expect(overallProgress(done)).toBe(1);
  });

  it("maps statuses to badge colours", () => {
    expect(statusTone("succeeded")).toBe("green");
    expect(statusTone("failed")).toBe("red");
    expect(statusTone("queued")).toBe("amber");
    expect(statusTone("whatever")).toBe("slate");
  });
});
