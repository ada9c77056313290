// One upload's live progress through ingest and the four engines, and its error report.
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { jobs } from "../api/endpoints";
import type { Job } from "../api/types";
import { ErrorCounts, ErrorTable } from "../components/ErrorTable";
import { Badge, Button, Card, ErrorBox, LoadingBlock, PageHeader, ProgressBar, Stat } from "../components/ui";
import { useTitle } from "../hooks";
import { formatDateTime, formatDuration, formatNumber, formatPercent } from "../lib/format";
import { isJobSettled, overallProgress, stageViews, statusLabel, statusTone } from "../lib/jobs";

const POLL_MS = 1500;

/** The job, polled until it settles; the last error stays shown while polling keeps trying. */
function useJobPolling(jobId: string) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await jobs.get(jobId);
        if (!alive) return;
        setJob(next);
        setError(null);
        if (!isJobSettled(next)) timer = setTimeout(poll, POLL_MS);
      } catch (err) {
        if (!alive) return;
        setError((err as Error).message);
        // Keep trying through a passing network problem; the page shows the error meanwhile.
        timer = setTimeout(poll, POLL_MS * 3);
      }
    };
    void poll();
    return () => {
      alive = false;
      if (timer) clearTimeout(timer);
    };
  }, [jobId]);
  return { job, error };
}

function StagesCard({ job, settled }: { job: Job; settled: boolean }) {
  const stages = stageViews(job);
  return (
    <Card title="Progress" className="lg:col-span-2" testId="job-stages">
      <div className="mb-4">
        <div className="mb-1 flex justify-between text-sm">
          <span className="font-medium text-slate-700">Overall</span>
          <span className="tabular-nums text-slate-600">{formatPercent(overallProgress(job), 0)}</span>
        </div>
        <ProgressBar value={overallProgress(job)} label="Overall progress" tone={job.status === "failed" ? "red" : settled ? "green" : "blue"} />
      </div>
      <ol className="space-y-4">
        {stages.map((stage) => (
          <li key={stage.key} data-testid={`stage-${stage.key}`} data-status={stage.status}>
            <div className="mb-1 flex items-center justify-between gap-2 text-sm">
              <span className="font-medium text-slate-800">{stage.label}</span>
              <span className="flex items-center gap-2">
                <span className="tabular-nums text-slate-500">{formatPercent(stage.progress, 0)}</span>
                <Badge tone={statusTone(stage.status)}>{statusLabel(stage.status)}</Badge>
              </span>
            </div>
            <ProgressBar value={stage.progress} label={`${stage.label} progress`} tone={statusTone(stage.status) === "red" ? "red" : stage.status === "succeeded" ? "green" : "blue"} />
            {stage.error && <p className="mt-1 text-sm text-red-700">{stage.error}</p>}
          </li>
        ))}
      </ol>
      {settled && job.status === "succeeded" && (
        <div className="mt-6 flex flex-wrap gap-2">
          <Link to="/app/overview" className="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700">
            See the results
          </Link>
          <Link to="/app/upload" className="rounded-lg px-4 py-2 text-sm font-medium text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50">
            Upload another file
          </Link>
        </div>
      )}
    </Card>
  );
}

function RowsCard({ job }: { job: Job }) {
  return (
    <Card title="Rows" testId="job-rows">
      <div className="grid grid-cols-2 gap-4">
        <Stat label="Accepted" value={formatNumber(job.rows_accepted)} raw={job.rows_accepted} testId="job-rows-accepted" />
        <Stat label="Rejected" value={formatNumber(job.rows_rejected)} raw={job.rows_rejected} testId="job-rows-rejected" />
        <Stat label="New" value={formatNumber(job.rows_new)} raw={job.rows_new} />
        <Stat label="Updated" value={formatNumber(job.rows_updated)} raw={job.rows_updated} />
        <Stat label="Unchanged" value={formatNumber(job.rows_unchanged)} raw={job.rows_unchanged} />
      </div>
    </Card>
  );
}

function ErrorReportCard({ job }: { job: Job }) {
  const [downloadError, setDownloadError] = useState<string | null>(null);
  return (
    <Card
      title="Error report"
      className="mt-6"
      testId="job-errors"
      actions={
        <Button
          variant="secondary"
          onClick={() => {
            setDownloadError(null);
            jobs.downloadErrors(job.id).catch((err: Error) => setDownloadError(err.message));
          }}
        >
          Download errors (CSV)
        </Button>
      }
    >
      {downloadError && <div className="mb-3"><ErrorBox message={downloadError} /></div>}
      <ErrorCounts counts={job.error_counts} />
      <div className="mt-3">
        <ErrorTable errors={job.errors ?? []} />
      </div>
    </Card>
  );
}

export default function JobDetail() {
  useTitle("Upload progress");
  const { jobId = "" } = useParams();
  const { job, error } = useJobPolling(jobId);

  if (!job) {
    return (
      <>
        <PageHeader title="Upload progress" />
        {error ? <ErrorBox message={error} /> : <LoadingBlock rows={5} />}
      </>
    );
  }

  const settled = isJobSettled(job);
  return (
    <>
      <PageHeader
        title={job.filename ?? "Upload"}
        subtitle={
          <>
            Started {formatDateTime(job.created_at)} · {settled ? "took" : "running for"} {formatDuration(job.created_at, job.finished_at)}
          </>
        }
        actions={
          <span data-testid="job-status" data-status={job.status} data-settled={settled ? "true" : "false"}>
            <Badge tone={statusTone(job.status)}>{statusLabel(job.status)}</Badge>
          </span>
        }
      />
      {error && <div className="mb-4"><ErrorBox message={error} /></div>}
      {job.error && <div className="mb-4"><ErrorBox message={job.error} /></div>}

      <div className="grid gap-4 lg:grid-cols-3 lg:gap-6">
        <StagesCard job={job} settled={settled} />
        <RowsCard job={job} />
      </div>

      {job.rows_rejected > 0 && <ErrorReportCard job={job} />}
    </>
  );
}
