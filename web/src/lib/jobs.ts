// Job and stage status helpers for the upload progress view and the jobs list.
import type { Job, StageStatus } from "../api/types";

export const STAGES = [
  { key: "ingest", label: "Ingest" },
  { key: "forecasting", label: "Forecasting" },
  { key: "segmentation", label: "Customer segments" },
  { key: "pricing", label: "Pricing" },
  { key: "inventory", label: "Inventory" },
] as const;

const TERMINAL = new Set(["succeeded", "failed", "skipped", "cancelled"]);

export interface StageView {
  key: string;
  label: string;
  status: string;
  progress: number;
  error: string | null;
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

/** The five stages in pipeline order; a stage the job has not reported yet shows as pending. */
export function stageViews(job: Pick<Job, "stages">): StageView[] {
  return STAGES.map(({ key, label }) => {
    const stage: StageStatus | undefined = job.stages?.[key];
    const status = stage?.status ?? "pending";
    const progress = status === "succeeded" ? 1 : clamp01(stage?.progress ?? 0);
    return { key, label, status, progress, error: stage?.error ?? null };
  });
}

/** Mean stage progress, 0..1, counting finished stages as complete. */
export function overallProgress(job: Pick<Job, "stages" | "status">): number {
  if (job.status === "succeeded" && stageViews(job).every((s) => TERMINAL.has(s.status) || s.status === "pending"))
    return 1;
  const views = stageViews(job);
  const done = views.map((s) => (TERMINAL.has(s.status) ? 1 : s.progress));
  return done.reduce((a, b) => a + b, 0) / views.length;
}

/**
 * True when nothing more will change. The backend fails a job as soon as one stage fails, while
 * other stages may still be running; stages waiting behind a failed one stay queued for good.
 */
export function isJobSettled(job: Pick<Job, "stages" | "status">): boolean {
  if (job.status === "failed") return !stageViews(job).some((s) => s.status === "running");
  if (job.status !== "succeeded") return false;
  return stageViews(job).every((s) => TERMINAL.has(s.status) || s.status === "pending");
}

export type Tone = "green" | "red" | "blue" | "amber" | "slate";

/** Colour family for a job or stage status badge. */
export function statusTone(status: string): Tone {
  switch (status) {
    case "succeeded":
      return "green";
    case "failed":
      return "red";
    case "running":
      return "blue";
    case "queued":
      return "amber";
    default:
      return "slate";
  }
}

/** Status in words for a badge. */
export function statusLabel(status: string): string {
  const labels: Record<string, string> = {
    queued: "Queued",
    running: "Running",
    succeeded: "Done",
    failed: "Failed",
    pending: "Waiting",
    skipped: "Skipped",
    cancelled: "Cancelled",
  };
  return labels[status] ?? status;
}
