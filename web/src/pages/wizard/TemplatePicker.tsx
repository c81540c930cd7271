// Blank, or one of the seed workflows as a workflow template (not a message template:
// those are under Governance → Message templates).
import type { Template } from "../../workflow/templates";

export interface TemplatePickerProps {
  templates: Template[];
  chosen: string | null;
  onPick: (file: string | null) => void;
}

export function TemplatePicker({ templates, chosen, onPick }: TemplatePickerProps) {
  return (
    <fieldset className="templates">
      <legend>1. Start blank or from a workflow template</legend>
      <label className="template">
        <input type="radio" name="template" checked={chosen === null} onChange={() => onPick(null)} />
        <strong>Blank workflow</strong>
        <span className="muted">A trigger and nothing else yet</span>
      </label>
      {templates.map(({ file, document }) => (
        <label key={file} className="template">
          <input type="radio" name="template" checked={chosen === file} onChange={() => onPick(file)} />
          <strong>{document.name}</strong>
          <span className="muted">
            on {document.trigger.type} · {document.actions.length} actions{document.description ? ` · ${document.description}` : ""}
          </span>
        </label>
      ))}
    </fieldset>
  );
}
