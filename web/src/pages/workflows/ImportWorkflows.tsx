// Import workflow files (JSON, `//` comments allowed): each file's result is shown under the
// page's title, with what the file held that was not imported (its notes) and the steps of an
// imported workflow that would fail if a run reached them now, as a save shows them.
import { useRef, type ChangeEvent } from "react";
import { importOutcome, type ImportReport } from "../../api/workflows";
import { ErrorNotice, fieldName } from "../../components/ErrorNotice";
import { ValidationWarnings } from "../../components/ValidationWarnings";

/** The toolbar's Import… button: `onFiles` gets the files chosen. */
export function ImportButton({ busy, onFiles }: { busy: boolean; onFiles: (files: File[]) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const choose = (event: ChangeEvent<HTMLInputElement>) => {
    const files = Array.from(event.target.files ?? []);
    if (files.length) onFiles(files);
    event.target.value = "";
  };
  return (
    <>
      <button type="button" onClick={() => input.current?.click()} disabled={busy}>
        Import…
      </button>
      <input ref={input} type="file" accept=".json,application/json" multiple hidden onChange={choose} aria-label="Import workflow files" />
    </>
  );
}

/** What the last import did: the request's error, or each file's result. */
export function ImportResults({ report, error }: { report: ImportReport | undefined; error: unknown }) {
  return (
    <>
      <ErrorNotice error={error} />
      {report && (
        <ul className="import-report" aria-label="Import results">
          {report.results.map((item) => (
            <li key={item.source} className={`import-${item.status}`}>
              {importOutcome(item)}
              {item.error && <ImportError error={item.error} />}
              <ImportNotes notes={item.notes ?? []} />
              <ValidationWarnings warnings={item.warnings ?? []} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** What the file held that was not imported (seed 002's `logging`, a disabled schedule). */
function ImportNotes({ notes }: { notes: string[] }) {
  if (notes.length === 0) return null;
  return (
    <div className="import-notes">
      <p>Not imported:</p>
      <ul>{notes.map((note) => <li key={note}>{note}</li>)}</ul>
    </div>
  );
}

function ImportError({ error }: { error: Record<string, unknown> }) {
  const details = Array.isArray(error["details"]) ? (error["details"] as { loc: (string | number)[]; msg: string }[]) : [];
  return (
    <span className="error-inline">
      {" "}{String(error["message"] ?? "")}
      {details.map((d, i) => (
        <span key={i}> <code>{fieldName(d.loc)}</code>: {d.msg}</span>
      ))}
    </span>
  );
}
