// Import workflow files (JSON, `//` comments allowed): each file's result is shown.
import { useRef, type ChangeEvent } from "react";
import { useImport } from "../../api/workflows";
import { ErrorNotice, fieldName } from "../../components/ErrorNotice";

export function ImportWorkflows() {
  const input = useRef<HTMLInputElement>(null);
  const importer = useImport();
  const choose = (event: ChangeEvent<HTMLInputElement>) => {
    const files = Array.from(event.target.files ?? []);
    if (files.length) importer.mutate(files);
    event.target.value = "";
  };
  return (
    <>
      <button type="button" onClick={() => input.current?.click()} disabled={importer.isPending}>
        Import…
      </button>
      <input ref={input} type="file" accept=".json,application/json" multiple hidden onChange={choose} aria-label="Import workflow files" />
      <ErrorNotice error={importer.error} />
      {importer.data && (
        <ul className="import-report" aria-label="Import results">
          {importer.data.results.map((item) => (
            <li key={item.source} className={`import-${item.status}`}>
              {item.source}: {item.status}
              {item.workflow_id && <> — {item.workflow_id} v{item.version}</>}
              {item.error && <ImportError error={item.error} />}
            </li>
          ))}
        </ul>
      )}
    </>
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
