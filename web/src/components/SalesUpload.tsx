// Sales upload: pick or drop a file, check the detected columns (dry run), then send it for analysis.
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { uploads } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { UploadPreview, UploadRejected } from "../api/types";
import { ErrorCounts, ErrorTable } from "./ErrorTable";
import { FileDrop } from "./FileDrop";
import { CheckingCard, PreviewCounts, RejectedCard } from "./UploadParts";
import { isRejected } from "../lib/uploads";
import { Button, Card, ErrorBox, cx, inputClass } from "./ui";
import { formatNumber } from "../lib/format";
import {
  duplicateSources,
  mappingChanged,
  mappingColumns,
  missingRequired,
  normalizeMapping,
  setMapping,
  unusedColumns,
  type Mapping,
} from "../lib/mapping";

/** A 422 that still tells which columns the file has: the user can fix the mapping from there. */
function columnsFromError(body: unknown): { columns_seen: string[]; mapping: Mapping } | null {
  if (!body || typeof body !== "object") return null;
  const b = body as { columns_seen?: unknown; mapping?: unknown };
  if (!Array.isArray(b.columns_seen) || b.columns_seen.length === 0) return null;
  const mapping = b.mapping && typeof b.mapping === "object" ? (b.mapping as Mapping) : {};
  return { columns_seen: b.columns_seen.map(String), mapping };
}

/** The upload's state: the chosen file, its checked preview and mapping, and the actions on them. */
function useSalesUpload() {
  const navigate = useNavigate();
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<UploadPreview | null>(null);
  const [columnsSeen, setColumnsSeen] = useState<string[]>([]);
  const [detected, setDetected] = useState<Mapping>(normalizeMapping(null));
  const [mapping, setMappingState] = useState<Mapping>(normalizeMapping(null));
  const [checkedMapping, setCheckedMapping] = useState<Mapping | null>(null);
  const [onError, setOnError] = useState<"reject" | "skip">("skip");
  const [busy, setBusy] = useState<"preview" | "submit" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rejected, setRejected] = useState<UploadRejected | null>(null);

  async function runPreview(chosen: File, withMapping?: Mapping) {
    setBusy("preview");
    setError(null);
    setRejected(null);
    try {
      const result = await uploads.preview(chosen, withMapping);
      const normalized = normalizeMapping(result.mapping);
      setPreview(result);
      setColumnsSeen(result.columns_seen);
      if (!withMapping) setDetected(normalized);
      setMappingState(normalized);
      setCheckedMapping(normalized);
    } catch (err) {
      setPreview(null);
      setError((err as Error).message);
      const fixable = err instanceof ApiError ? columnsFromError(err.body) : null;
      if (fixable) {
        const normalized = normalizeMapping({ ...fixable.mapping, ...(withMapping ?? {}) });
        setColumnsSeen(fixable.columns_seen);
        if (!withMapping) setDetected(normalizeMapping(fixable.mapping));
        setMappingState(normalized);
        setCheckedMapping(null);
      } else {
        setColumnsSeen([]);
      }
    } finally {
      setBusy(null);
    }
  }

  function choose(chosen: File) {
    setFile(chosen);
    setPreview(null);
    setColumnsSeen([]);
    void runPreview(chosen);
  }

  async function submit() {
    if (!file) return;
    setBusy("submit");
    setError(null);
    setRejected(null);
    try {
      const accepted = await uploads.submit(file, {
        mapping: mappingChanged(detected, mapping) ? mapping : undefined,
        onError,
      });
      navigate(`/app/jobs/${accepted.job_id}`);
    } catch (err) {
      if (err instanceof ApiError && isRejected(err.body)) setRejected(err.body);
      setError((err as Error).message);
      setBusy(null);
    }
  }

  const missing = missingRequired(mapping);
  const duplicates = duplicateSources(mapping);
  // A mapping typed after a failed check has never been checked: it needs one before upload.
  const needsRecheck = columnsSeen.length > 0 && (checkedMapping === null || mappingChanged(checkedMapping, mapping));
  const nothingValid = preview !== null && preview.rows_valid === 0;
  const canSubmit = !!file && !!preview && missing.length === 0 && duplicates.length === 0 && !needsRecheck && !nothingValid && busy === null;
  return {
    file, preview, columnsSeen, mapping, setMappingState, onError, setOnError, busy, error, rejected,
    runPreview, choose, submit, missing, duplicates, needsRecheck, nothingValid, canSubmit,
  };
}

type SalesUploadState = ReturnType<typeof useSalesUpload>;

/** The detected column mapping, editable, with what is missing or used twice. */
function MappingCard({ upload }: { upload: SalesUploadState }) {
  const { file, columnsSeen, mapping, setMappingState, missing, duplicates, needsRecheck, runPreview } = upload;
  return (
    <Card title="Columns" testId="mapping">
      <p className="mb-4 text-sm text-slate-600">
        We matched your file's columns to ours. Change any that are wrong, then check again.
      </p>
      <div className="grid gap-4 sm:grid-cols-2">
        {mappingColumns(mapping).map((column) => (
          <div key={column.key}>
            <label htmlFor={`map-${column.key}`} className="block text-sm font-medium text-slate-700">
              {column.label} {column.required ? <span className="text-red-600">*</span> : <span className="font-normal text-slate-500">(optional)</span>}
            </label>
            <select
              id={`map-${column.key}`}
              value={mapping[column.key] ?? ""}
              onChange={(e) => setMappingState(setMapping(mapping, column.key, e.target.value))}
              className={cx(inputClass, "mt-1")}
            >
              <option value="">— not in my file —</option>
              {columnsSeen.map((source) => (
                <option key={source} value={source}>
                  {source}
                </option>
              ))}
            </select>
            <p className="mt-1 text-xs text-slate-500">{column.hint}</p>
          </div>
        ))}
      </div>
      {unusedColumns(mapping, columnsSeen).length > 0 && (
        <p className="mt-4 text-xs text-slate-500">Ignored columns: {unusedColumns(mapping, columnsSeen).join(", ")}</p>
      )}
      {missing.length > 0 && (
        <p role="alert" className="mt-4 text-sm text-red-700">
          Choose a column for: {missing.map((m) => m.label).join(", ")}.
        </p>
      )}
      {duplicates.length > 0 && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          Each of your columns can be used once: {duplicates.join(", ")} is used twice.
        </p>
      )}
      {needsRecheck && (
        <div className="mt-4">
          <Button variant="secondary" onClick={() => file && void runPreview(file, mapping)}>
            Check again with these columns
          </Button>
        </div>
      )}
    </Card>
  );
}

/** What to do with invalid rows, and the button that sends the file for analysis. */
function SubmitCard({ upload, preview }: { upload: SalesUploadState; preview: UploadPreview }) {
  const { onError, setOnError, busy, canSubmit, needsRecheck, submit } = upload;
  return (
    <Card>
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">If some rows are invalid</legend>
        <div className="mt-2 flex flex-col gap-2 sm:flex-row sm:gap-6">
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="on_error" value="skip" checked={onError === "skip"} onChange={() => setOnError("skip")} />
            Skip them and load the rest
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="on_error" value="reject" checked={onError === "reject"} onChange={() => setOnError("reject")} />
            Reject the whole file
          </label>
        </div>
      </fieldset>
      <div className="mt-4 flex flex-wrap items-center gap-3">
        <Button onClick={() => void submit()} disabled={!canSubmit} data-testid="submit-upload">
          {busy === "submit" ? "Uploading…" : `Upload ${formatNumber(preview.rows_valid)} rows and analyse`}
        </Button>
        {needsRecheck && <span className="text-sm text-slate-600">Check the new columns first.</span>}
      </div>
    </Card>
  );
}

export function SalesUpload() {
  const upload = useSalesUpload();
  const { file, preview, columnsSeen, busy, error, rejected, choose, nothingValid } = upload;
  return (
    <>
      <FileDrop
        inputId="sales-file"
        file={file}
        onChoose={choose}
        what="sales file"
        hint="Columns we look for: date, product/SKU, quantity, unit price; optional store, customer, transaction, category, promotion."
      />

      <div className="mt-6 space-y-6" aria-live="polite">
        {busy === "preview" && <CheckingCard />}
        {error && <ErrorBox message={error} />}
        {rejected && <RejectedCard rejected={rejected} advice="Fix these rows, or choose “skip invalid rows” and upload again." />}

        {preview && busy !== "preview" && (
          <Card title="Preview" testId="preview">
            <PreviewCounts preview={preview} prefix="preview" />
            {nothingValid && <p className="mt-3 text-sm text-red-700">No row is valid with this mapping. Check the columns below.</p>}
          </Card>
        )}

        {columnsSeen.length > 0 && busy !== "preview" && <MappingCard upload={upload} />}

        {preview && busy !== "preview" && (
          <>
            {preview.errors.length > 0 && (
              <Card title="First problems found" testId="preview-errors">
                <ErrorCounts counts={preview.error_counts} />
                <div className="mt-3">
                  <ErrorTable errors={preview.errors} />
                </div>
              </Card>
            )}
            <SubmitCard upload={upload} preview={preview} />
          </>
        )}
      </div>
    </>
  );
}
