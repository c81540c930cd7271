// The editor's commands: check, lay out again, save a draft, publish.
export interface EditorToolbarProps {
  name: string;
  status: string;
  valid: boolean | undefined;
  warnings: number;
  dirty: boolean;
  busy: boolean;
  canEdit: boolean;
  onRelayout: () => void;
  onSave: (publish: boolean) => void;
}

export function EditorToolbar({ name, status, valid, warnings, dirty, busy, canEdit, onRelayout, onSave }: EditorToolbarProps) {
  return (
    <div className="page-title editor-title">
      <div>
        <h1>{name || "Untitled workflow"}</h1>
        <div className="muted" aria-live="polite">
          {status}
          {dirty && " · unsaved changes"}
          {valid === true && ` · valid${warnings ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`}
          {valid === false && " · has problems"}
        </div>
      </div>
      {canEdit && (
        <div className="toolbar">
          <button type="button" onClick={onRelayout} title="Forget dragged positions">Auto layout</button>
          <button type="button" onClick={() => onSave(false)} disabled={busy}>Save draft</button>
          <button type="button" className="primary" onClick={() => onSave(true)} disabled={busy}>Publish</button>
        </div>
      )}
    </div>
  );
}
