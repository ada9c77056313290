// Jobs: every upload with its status, newest first.
import { useState } from "react";
import { Link } from "react-router-dom";
import { jobs } from "../api/endpoints";
import { QueryView } from "../components/QueryView";
import { Badge, Card, EmptyState, PageHeader, Pager, ProgressBar } from "../components/ui";
import { useQuery, useTitle } from "../hooks";
import { formatDateTime, formatDuration, formatNumber } from "../lib/format";
import { isJobSettled, overallProgress, statusLabel, statusTone } from "../lib/jobs";

const LIMIT = 20;

export default function Jobs() {
  useTitle("Jobs");
  const [offset, setOffset] = useState(0);
  const q = useQuery(() => jobs.list(LIMIT, offset), [offset]);

  return (
    <>
      <PageHeader
        title="Jobs"
        subtitle="Every file you uploaded and how its analysis went."
        actions={
          <Link to="/app/upload" className="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700">
            Upload sales
          </Link>
        }
      />
      <QueryView query={q}>
        {(page) =>
          page.items.length === 0 ? (
            <EmptyState title="No uploads yet">Upload a sales file and its analysis will show up here.</EmptyState>
          ) : (
            <Card>
              <ul className="divide-y divide-slate-100" data-testid="jobs-list" data-total={page.total}>
                {page.items.map((job) => (
                  <li key={job.id} data-testid="job-row" data-job-id={job.id} data-status={job.status}>
                    <Link to={`/app/jobs/${job.id}`} className="-mx-2 flex flex-col gap-2 rounded-lg px-2 py-3 hover:bg-slate-50 sm:flex-row sm:items-center sm:gap-4">
                      <div className="min-w-0 flex-1">
                        <div className="truncate font-medium text-slate-900">{job.filename ?? job.id}</div>
                        <div className="text-xs text-slate-500">
                          {formatDateTime(job.created_at)} · {formatDuration(job.created_at, job.finished_at)}
                        </div>
                      </div>
                      <div className="text-sm tabular-nums text-slate-600 sm:w-56 sm:text-right">
                        {formatNumber(job.rows_accepted)} rows
                        {job.rows_rejected > 0 && <span className="text-red-700"> · {formatNumber(job.rows_rejected)} rejected</span>}
                      </div>
                      <div className="flex items-center gap-3 sm:w-40 sm:justify-end">
                        {!isJobSettled(job) && (
                          <div className="w-20">
                            <ProgressBar value={overallProgress(job)} label="Progress" />
                          </div>
                        )}
                        <Badge tone={statusTone(job.status)}>{statusLabel(job.status)}</Badge>
                      </div>
                    </Link>
                  </li>
                ))}
              </ul>
              <Pager offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} />
            </Card>
          )
        }
      </QueryView>
    </>
  );
}
