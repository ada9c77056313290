// Stock, stores and events uploads: check the file when the endpoint can (dry run), send it, and
// show the rejected rows exactly as the sales upload does.
import { useState } from "react";
import { Link } from "react-router-dom";
import { dataUploads, type DataUploadKind } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { DataUploadAccepted, UploadPreview, UploadRejected } from "../api/types";
import { formatNumber } from "../lib/format";
import { isRejected, type UploadKindInfo } from "../lib/uploads";
import { ErrorCounts, ErrorTable } from "./ErrorTable";
import { FileDrop } from "./FileDrop";
import { Button, Card, ErrorBox } from "./ui";
import { CheckingCard, PreviewCounts, RejectedCard } from "./UploadParts";

export function DataUpload(props: { kind: UploadKindInfo & { key: DataUploadKind }; onUploaded?: (result: DataUploadAccepted) => void }) {
  const { kind } = props;
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<UploadPreview | null>(null);
  const [busy, setBusy] = useState<"preview" | "submit" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rejected, setRejected] = useState<UploadRejected | null>(null);
  const [accepted, setAccepted] = useState<DataUploadAccepted | null>(null);

  function fail(err: unknown) {
    if (err instanceof ApiError && isRejected(err.body)) setRejected(err.body);
    setError((err as Error).message);
  }

  async function choose(chosen: File) {
    setFile(chosen);
    setPreview(null);
    setError(null);
    setRejected(null);
    setAccepted(null);
    if (!kind.preview) return;
    setBusy("preview");
    try {
      setPreview(await dataUploads.preview(kind.key, chosen));
    } catch (err) {
      fail(err);
    } finally {
      setBusy(null);
    }
  }

  async function submit() {
    if (!file) return;
    setBusy("submit");
    setError(null);
    setRejected(null);
    try {
      const result = await dataUploads.submit(kind.key, file);
      setAccepted(result);
      setFile(null);
      setPreview(null);
      props.onUploaded?.(result);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(null);
    }
  }

  const nothingValid = preview !== null && preview.rows_valid === 0;
  const canSubmit = !!file && busy === null && (!kind.preview || (preview !== null && !nothingValid && preview.rows_rejected === 0));

  return (
    <div data-testid={`upload-${kind.key}`}>
      <FileDrop inputId={`${kind.key}-file`} file={file} onChoose={(f) => void choose(f)} what={kind.what} hint={`Columns: ${kind.columns}`} testId={`dropzone-${kind.key}`} />
      <div className="mt-6 space-y-6" aria-live="polite">
        {busy === "preview" && <CheckingCard />}
        {error && <ErrorBox message={error} />}
        {rejected && <RejectedCard rejected={rejected} advice="Nothing was stored. Fix these rows and upload the file again." testId={`${kind.key}-rejected`} />}
        {preview && busy !== "preview" && (
          <Card title="Preview" testId={`${kind.key}-preview`}>
            <PreviewCounts preview={preview} prefix={kind.key} />
            {preview.errors.length > 0 && (
              <div className="mt-4" data-testid={`${kind.key}-preview-errors`}>
                <ErrorCounts counts={preview.error_counts} />
                <div className="mt-3">
                  <ErrorTable errors={preview.errors} />
                </div>
                <p className="mt-3 text-sm text-slate-600">The file is stored whole or not at all: fix these rows first.</p>
              </div>
            )}
          </Card>
        )}
        {file && busy !== "preview" && (
          <div className="flex flex-wrap items-center gap-3">
            <Button onClick={() => void submit()} disabled={!canSubmit} data-testid={`submit-${kind.key}`}>
              {busy === "submit" ? "Uploading…" : preview ? `Upload ${formatNumber(preview.rows_valid)} rows` : "Upload"}
            </Button>
            <span className="text-sm text-slate-600">{kind.after}</span>
          </div>
        )}
        {accepted && (
          <p role="status" className="rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900" data-testid={`${kind.key}-accepted`}>
            Uploaded{accepted.rows_accepted !== undefined ? ` ${formatNumber(accepted.rows_accepted)} rows` : ""}.{" "}
            {accepted.job_id ? (
              <>
                {kind.after} <Link className="font-medium underline" to={`/app/jobs/${accepted.job_id}`}>Follow the job</Link>.
              </>
            ) : null}
          </p>
        )}
      </div>
    </div>
  );
}
