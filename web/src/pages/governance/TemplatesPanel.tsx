// Message templates: pick one (or start a new one), edit its subject, text and HTML, and see
// it rendered by the API over sample data as you type. Rendered HTML is shown as its markup.
// Opened from a step's warning or error, the sample data is what that step would give it.
import { useId, useState } from "react";
import { useLocation, useSearchParams } from "react-router";
import { useDeleteTemplate, usePreview, useSaveTemplate, useTemplates, type TemplateParts, type TemplateRead } from "../../api/governance";
import { ErrorNotice } from "../../components/ErrorNotice";
import { GreyableButton } from "../../components/GreyableButton";
import { greyedReason } from "../../components/greyedReason";
import type { FixState } from "../../components/fixes";
import { useDebounced } from "../../components/useDebounced";
import type { Action } from "../../workflow/document";
import { templateSample } from "../../workflow/sample";
import { parseJsonObject } from "./json";

const SAMPLE = `{
  "user_name": "Ada",
  "signup_date": "2026-12-06",
  "user": {"id": "user_1", "email": "ada@example.com"}
}`;
const BLANK: TemplateRead = { name: "", subject: "", text: "", html: "", created_at: "", updated_at: "" };

/** Empty parts are left out (null), as the API takes them. */
export function partsOf(draft: { subject: string | null; text: string | null; html: string | null }): TemplateParts {
  const part = (value: string | null) => (value ? value : null);
  return { subject: part(draft.subject), text: part(draft.text), html: part(draft.html) };
}

/** What `?new=NAME` opens once the list is here: the template of that name if it exists (it
 * may have been made since the link was), otherwise a new one, for those who may make one. */
export function addressedTemplate(items: TemplateRead[] | undefined, wanted: string, canEdit: boolean): TemplateRead | null {
  if (!wanted || !items) return null;
  return items.find((template) => template.name === wanted) ?? (canEdit ? BLANK : null);
}

/** Why Create or Save does nothing yet, in words (null: it saves). */
export function unsavableBecause(isNew: boolean, name: string, bodiless: boolean): string | null {
  return greyedReason(`${isNew ? "create" : "save"} the template`, [
    isNew && !name.trim() && "name it",
    bodiless && "fill in the plain text or the HTML (a template needs a body)",
  ]);
}

export function TemplatesPanel({ canEdit }: { canEdit: boolean }) {
  const templates = useTemplates();
  // ?new=NAME: a link from a workflow or run that names a template not created yet.
  const wanted = useSearchParams()[0].get("new") ?? "";
  // The step whose warning linked here, which names the template.
  const step = (useLocation().state as Partial<FixState> | null)?.step;
  // What the person picked (undefined: nothing yet, so the address decides).
  const [picked, setPicked] = useState<TemplateRead | null | undefined>(undefined);
  const chosen = picked === undefined ? addressedTemplate(templates.data?.items, wanted, canEdit) : picked;
  const existed = picked === undefined && wanted !== "" && chosen?.name === wanted;
  // The template just created: its editor is a new one (keyed by name), which has not seen
  // the save, so the confirmation is kept here.
  const [created, setCreated] = useState<string | null>(null);
  const choose = (template: TemplateRead | null) => {
    setCreated(null);
    setPicked(template);
  };
  return (
    <section aria-label="Message templates" className="templates">
      <ErrorNotice error={templates.error} />
      {existed && <p className="muted">A template named <code>{wanted}</code> exists already: here it is.</p>}
      <div className="template-layout">
        <ul className="template-list">
          {templates.data?.items.map((template) => (
            <li key={template.name}>
              <button type="button" className={chosen?.name === template.name ? "chosen" : undefined} onClick={() => choose(template)}>{template.name}</button>
            </li>
          ))}
          {canEdit && <li><button type="button" onClick={() => choose(BLANK)}>+ New template</button></li>}
        </ul>
        {chosen ? (
          <TemplateEditor key={chosen.name || "new"} template={chosen} suggestedName={wanted} canEdit={canEdit}
            step={step?.template === (chosen.name || wanted) ? step : undefined}
            justCreated={created === chosen.name}
            onSaved={(saved) => { setCreated(chosen.name === "" ? saved.name : null); setPicked(saved); }}
            onDeleted={() => choose(null)} />
        ) : (
          <p className="muted">Choose a template{canEdit ? " or start a new one" : ""}.</p>
        )}
      </div>
    </section>
  );
}

interface EditorProps {
  template: TemplateRead;
  /** A new template's name to start with. */
  suggestedName: string;
  /** The step that names this template: the sample data is what it gives. */
  step: Action | undefined;
  canEdit: boolean;
  /** Whether this template was created a moment ago, by this page. */
  justCreated: boolean;
  onSaved: (template: TemplateRead) => void;
  onDeleted: () => void;
}

function TemplateEditor({ template, suggestedName, step, canEdit, justCreated, onSaved, onDeleted }: EditorProps) {
  const isNew = template.name === "";
  const [name, setName] = useState(template.name || suggestedName);
  const [draft, setDraft] = useState({ subject: template.subject ?? "", text: template.text ?? "", html: template.html ?? "" });
  // Until the person edits the sample, a step's follows the template: a variable it starts
  // counting or going over becomes a list.
  const [typed, setSample] = useState<string | null>(null);
  const sample = typed ?? (step ? JSON.stringify(templateSample(step, { name: template.name || suggestedName, ...draft }), null, 2) : SAMPLE);
  const save = useSaveTemplate();
  const remove = useDeleteTemplate();
  const parts = useDebounced(partsOf(draft), 300);
  // The API takes no template without a body (422), to preview or to save: say what to fill.
  const bodiless = !draft.text.trim() && !draft.html.trim();
  const unsavable = unsavableBecause(isNew, name, bodiless);
  const reasonId = useId();
  const data = parseJsonObject(sample);
  const preview = usePreview(parts, useDebounced(data.value, 300));
  const field = (part: "subject" | "text" | "html", rows: number) => (
    <label className="stacked">
      {part === "subject" ? "Subject" : part === "text" ? "Plain text" : "HTML"}
      {rows === 1 ? (
        <input value={draft[part]} readOnly={!canEdit} onChange={(e) => setDraft({ ...draft, [part]: e.target.value })} />
      ) : (
        <textarea className="json" rows={rows} value={draft[part]} readOnly={!canEdit} spellCheck={false} onChange={(e) => setDraft({ ...draft, [part]: e.target.value })} />
      )}
    </label>
  );
  return (
    <div className="template-editor">
      <div className="two-columns">
        <div>
          {isNew ? (
            <label className="stacked">Name<input value={name} onChange={(e) => setName(e.target.value)} placeholder="welcome_email" /></label>
          ) : (
            <h2><code>{template.name}</code></h2>
          )}
          {field("subject", 1)}
          {field("text", 6)}
          {field("html", 6)}
          {canEdit && (
            <div className="toolbar">
              <GreyableButton className="primary" disabled={save.isPending} greyedBy={unsavable ? reasonId : undefined}
                onClick={() => save.mutate({ name: name.trim(), parts: partsOf(draft), isNew }, { onSuccess: onSaved })}>
                {isNew ? "Create template" : "Save template"}
              </GreyableButton>
              {!isNew && <button type="button" className="danger" onClick={() => remove.mutate(template.name, { onSuccess: onDeleted })}>Delete</button>}
              {save.isSuccess && <span className="muted" role="status">Saved.</span>}
              {justCreated && !save.isSuccess && <span className="muted" role="status">Created {template.name}.</span>}
            </div>
          )}
          {canEdit && unsavable && <p className="muted" id={reasonId}>{unsavable}</p>}
          <ErrorNotice error={save.error ?? remove.error} />
        </div>
        <div>
          <label className="stacked">
            <span>Sample data (the event's data at the root, <code>user</code>, <code>event</code>, variables)</span>
            <textarea className="json" rows={6} value={sample} spellCheck={false} onChange={(e) => setSample(e.target.value)} />
          </label>
          {step && typed === null && <p className="muted">What step <code>{step.id}</code> gives this template (its <code>data.variables</code>) on a sample event.</p>}
          {data.error && <p className="error-inline">{data.error}</p>}
          <h3>Preview</h3>
          {bodiless && <p className="muted" role="note">Fill in the plain text or the HTML (or both) to see the preview: a template needs a body.</p>}
          <ErrorNotice error={preview.error} />
          {preview.data && !bodiless && (
            <div className="preview" aria-label="Rendered preview">
              <p><span className="muted">Subject:</span> <strong>{preview.data.subject ?? "–"}</strong></p>
              <h4>Plain text</h4>
              <pre className="json">{preview.data.text ?? "–"}</pre>
              <h4>HTML (markup, as sent)</h4>
              <pre className="json">{preview.data.html ?? "–"}</pre>
            </div>
          )}
        </div>
      </div>
    </div>
  );
}
