// Upload: sales (with its column check), stock levels, stores and own events, one tab each (?kind=).
import { useSearchParams } from "react-router-dom";
import type { DataUploadKind } from "../api/endpoints";
import { DataUpload } from "../components/DataUpload";
import { SalesUpload } from "../components/SalesUpload";
import { PageHeader, cx } from "../components/ui";
import { useTitle } from "../hooks";
import { UPLOAD_KINDS, uploadKind, type UploadKindInfo } from "../lib/uploads";

export default function Upload() {
  const [params, setParams] = useSearchParams();
  const kind = uploadKind(params.get("kind"));
  useTitle(`Upload ${kind.label.toLowerCase()}`);
  return (
    <>
      <PageHeader title={`Upload ${kind.label.toLowerCase()}`} subtitle={kind.subtitle} />
      <div role="tablist" aria-label="What to upload" className="mb-6 inline-flex flex-wrap rounded-lg bg-slate-100 p-1 text-sm font-medium">
        {UPLOAD_KINDS.map((k) => (
          <button
            key={k.key}
            type="button"
            role="tab"
            aria-selected={k.key === kind.key}
            onClick={() => setParams(k.key === "sales" ? {} : { kind: k.key }, { replace: true })}
            className={cx("rounded-md px-3 py-1.5", k.key === kind.key ? "bg-white text-slate-900 shadow-sm" : "text-slate-600 hover:text-slate-900")}
          >
            {k.label}
          </button>
        ))}
      </div>
      {kind.key === "sales" ? <SalesUpload /> : <DataUpload key={kind.key} kind={kind as UploadKindInfo & { key: DataUploadKind }} />}
    </>
  );
}
