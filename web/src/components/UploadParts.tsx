// Pieces every upload shows the same way: checking, the preview's row counts, the rejected rows.
import type { UploadPreview, UploadRejected } from "../api/types";
import { formatNumber } from "../lib/format";
import { ErrorCounts, ErrorTable } from "./ErrorTable";
import { Card, LoadingBlock, Stat } from "./ui";

export function CheckingCard() {
  return (
    <Card title="Checking your file…">
      <LoadingBlock rows={4} label="Checking your file" />
    </Card>
  );
}

/** Rows, valid and rejected of a dry run; test ids `<prefix>-rows-total` etc. */
export function PreviewCounts(props: { preview: UploadPreview; prefix: string }) {
  const { preview, prefix } = props;
  return (
    <div className="grid grid-cols-3 gap-4">
      <Stat label="Rows" value={formatNumber(preview.rows_total)} raw={preview.rows_total} testId={`${prefix}-rows-total`} />
      <Stat label="Valid" value={formatNumber(preview.rows_valid)} raw={preview.rows_valid} testId={`${prefix}-rows-valid`} />
      <Stat label="Rejected" value={formatNumber(preview.rows_rejected)} raw={preview.rows_rejected} testId={`${prefix}-rows-rejected`} />
    </div>
  );
}

/** A 422's rejected rows: the kinds counted, the first rows in words, and what to do. */
export function RejectedCard(props: { rejected: UploadRejected; advice: string; testId?: string }) {
  return (
    <Card title="Rows that were rejected" testId={props.testId}>
      <ErrorCounts counts={props.rejected.error_counts} />
      <div className="mt-3">
        <ErrorTable errors={props.rejected.errors} />
      </div>
      <p className="mt-3 text-sm text-slate-600">{props.advice}</p>
    </Card>
  );
}
