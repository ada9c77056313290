// The drop zone every upload uses: drag a file onto it or pick one.
import { useState, type DragEvent, type ReactNode } from "react";
import { formatNumber } from "../lib/format";
import { UPLOAD_ACCEPT } from "../lib/uploads";
import { cx } from "./ui";

export function FileDrop(props: { inputId: string; file: File | null; onChoose: (file: File) => void; what: string; hint: ReactNode; testId?: string }) {
  const [dragging, setDragging] = useState(false);

  function choose(files: FileList | null | undefined) {
    const chosen = files?.[0];
    if (chosen) props.onChoose(chosen);
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    choose(event.dataTransfer.files);
  }

  return (
    <div
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      className={cx(
        "flex flex-col items-center justify-center rounded-xl border-2 border-dashed px-6 py-10 text-center transition-colors",
        dragging ? "border-indigo-500 bg-indigo-50" : "border-slate-300 bg-white",
      )}
      data-testid={props.testId ?? "dropzone"}
    >
      <svg aria-hidden="true" viewBox="0 0 24 24" className="h-10 w-10 text-indigo-500" fill="none" stroke="currentColor" strokeWidth={1.5}>
        <path d="M12 16V4m0 0l-4 4m4-4l4 4M4 16v4h16v-4" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <p className="mt-3 text-sm text-slate-700">
        {props.file ? (
          <>
            <span className="font-medium">{props.file.name}</span> ({formatNumber(props.file.size / 1024)} KB)
          </>
        ) : (
          `Drag your ${props.what} here, or`
        )}
      </p>
      <label htmlFor={props.inputId} className="mt-3 cursor-pointer rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-indigo-600 hover:bg-indigo-700">
        {props.file ? "Choose another file" : "Choose a file"}
        <input
          id={props.inputId}
          name="file"
          type="file"
          accept={UPLOAD_ACCEPT}
          className="sr-only"
          onChange={(e) => {
            choose(e.target.files);
            e.target.value = "";
          }}
        />
      </label>
      <p className="mt-2 text-xs text-slate-500">{props.hint}</p>
    </div>
  );
}
