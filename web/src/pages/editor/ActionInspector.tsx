// The selected action: a form from its action's JSON Schema, or its raw JSON; move, delete.
import { useState } from "react";
import type { Action } from "../../workflow/document";
import { MESSAGE_TYPES } from "../../workflow/document";
import { stripArms } from "../../workflow/graph";
import { itemFor, type PaletteItem } from "../../workflow/catalogue";
import { fieldsUnder, type NodeProblem } from "../../workflow/problems";
import { CONDITIONS_SCHEMA, formEditable, fromForm, toForm } from "../../workflow/conditions";
import { SchemaForm } from "../../components/forms/SchemaForm";
import { useTemplates } from "../../api/governance";
import { JsonEditor } from "../../components/forms/JsonEditor";
import { DelayField, DurationWidget } from "./DurationField";
import { FieldProblems, TextField } from "./TextField";
import { InspectorTabs, NodeProblems, type InspectorTab } from "./InspectorTop";
import { readOnlyNote } from "./ReadOnlyNote";

// Flow steps' timeouts (format "duration" in the catalogue) take the delay's amount and unit.
const WIDGETS = { duration: DurationWidget };

export interface ActionInspectorProps {
  action: Action;
  palette: PaletteItem[];
  problem: NodeProblem | undefined;
  readOnly: boolean;
  onChange: (fields: Action) => void;
  onMove: (delta: -1 | 1) => void;
  onDelete: () => void;
}

export function ActionInspector({ action, palette, problem, readOnly, onChange, onMove, onDelete }: ActionInspectorProps) {
  const [tab, setTab] = useState<InspectorTab>("form");
  // The stored message templates, offered by name: a marketer should not have to remember one.
  const templates = useTemplates();
  const item = itemFor(palette, action);
  const custom = action.type === "custom_action";
  const fields = problem?.fields ?? {};
  const set = (change: Partial<Action>) => onChange({ ...stripArms(action), ...change });
  const setOptional = (key: "name" | "template", value: string) => {
    const next = stripArms(action);
    if (value) next[key] = value;
    else delete next[key];
    onChange(next);
  };
  const data = action.data ?? {};
  const dataValue = custom ? (data["params"] ?? {}) : data;
  const setData = (value: unknown) =>
    set({ data: custom ? { ...data, params: value } : (value as Record<string, unknown>) });
  return (
    <div className="inspector" aria-label="Node inspector">
      <header>
        <h2>{item?.label ?? action.type}</h2>
        <div className="muted">{action.id}</div>
        {!readOnly && (
          <div className="toolbar">
            <button type="button" onClick={() => onMove(-1)} title="Move up in its list">↑ Up</button>
            <button type="button" onClick={() => onMove(1)} title="Move down in its list">↓ Down</button>
            <button type="button" className="danger" onClick={onDelete}>Delete</button>
          </div>
        )}
      </header>
      <NodeProblems problem={problem} />
      <InspectorTabs tab={tab} onTab={setTab} />
      {tab === "json" ? (
        <JsonEditor label="Action JSON" value={stripArms(action)} readOnly={readOnly} onApply={(value) => onChange(value as Action)} />
      ) : (
        <div className="action-form">
          <TextField label="Name" value={action.name ?? ""} readOnly={readOnly} onChange={(v) => setOptional("name", v)} errors={fields["name"]} />
          {(MESSAGE_TYPES.has(action.type) || action.template !== undefined) && (
            <TextField label="Template" value={action.template ?? ""} readOnly={readOnly} onChange={(v) => setOptional("template", v)} errors={fields["template"]}
              hint="A stored message template's name (Governance → Message templates)" suggestions={templates.data?.items.map((t) => t.name)} />
          )}
          <DelayField delay={action.delay} readOnly={readOnly} errors={fields["delay"]} onChange={(delay) => set({ delay })} />
          {action.type === "condition" && (
            formEditable(action.conditions) ? (
              <SchemaForm idPrefix={`${action.id}-conditions`} schema={CONDITIONS_SCHEMA} value={toForm(action.conditions)} greyedBy={readOnlyNote(readOnly)}
                errors={fieldsUnder(fields, "conditions")} onChange={(rows) => set({ conditions: fromForm(rows as never) })} />
            ) : (
              <p className="muted">These conditions use groups (all / any / not): edit them in the JSON tab.</p>
            )
          )}
          <FieldProblems errors={fields["conditions"]} />
          {item && Object.keys((item.schema["properties"] as object | undefined) ?? {}).length + (item.schema["additionalProperties"] ? 1 : 0) > 0 && (
            <fieldset>
              <legend>{custom ? "Inputs (data.params)" : "Data"}</legend>
              <SchemaForm idPrefix={`${action.id}-data`} schema={item.schema} value={dataValue} greyedBy={readOnlyNote(readOnly)} widgets={WIDGETS}
                errors={fieldsUnder(fields, custom ? "data.params" : "data")} onChange={setData} />
            </fieldset>
          )}
          {!item && <p className="muted">No installed connector describes “{action.type}”: edit its data in the JSON tab.</p>}
        </div>
      )}
    </div>
  );
}
