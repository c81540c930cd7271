// The workflow's own fields (name, tags, error workflow) and its trigger: event type or
// schedule, and its conditions.
import { useState } from "react";
import { useEventTypes } from "../../api/events";
import { eventTypeSuggestions } from "../../components/eventTypes";
import type { DocumentHead, Trigger } from "../../workflow/document";
import { fieldsUnder, type NodeProblem } from "../../workflow/problems";
import { CONDITIONS_SCHEMA, formEditable, fromForm, toForm } from "../../workflow/conditions";
import { SchemaForm } from "../../components/forms/SchemaForm";
import { JsonEditor } from "../../components/forms/JsonEditor";
import { FieldProblems, TextField } from "./TextField";
import { InspectorTabs, NodeProblems, type InspectorTab } from "./InspectorTop";
import { WorkflowSettingsFields } from "./WorkflowSettingsFields";
import { readOnlyNote } from "./ReadOnlyNote";

export interface TriggerInspectorProps {
  head: DocumentHead;
  isNew: boolean;
  problem: NodeProblem | undefined;
  readOnly: boolean;
  onChange: (head: DocumentHead) => void;
}

const SCHEDULE_FIELDS = ["cron", "interval", "timezone"] as const;

export function TriggerInspector({ head, isNew, problem, readOnly, onChange }: TriggerInspectorProps) {
  const [tab, setTab] = useState<InspectorTab>("form");
  const eventTypes = useEventTypes();
  const fields = problem?.fields ?? {};
  const trigger = head.trigger;
  const setTrigger = (change: Partial<Trigger>) => {
    const next: Trigger = { ...trigger, ...change };
    for (const key of Object.keys(change) as (keyof Trigger)[]) if (next[key] === "") delete next[key];
    if (next.type !== "schedule") for (const key of SCHEDULE_FIELDS) delete next[key];
    onChange({ ...head, trigger: next });
  };
  return (
    <div className="inspector" aria-label="Trigger inspector">
      <header>
        <h2>Workflow and trigger</h2>
      </header>
      <NodeProblems problem={problem} />
      <InspectorTabs tab={tab} onTab={setTab} />
      {tab === "json" ? (
        <JsonEditor label="Workflow JSON" value={head} readOnly={readOnly} onApply={(value) => onChange(value as DocumentHead)} />
      ) : (
        <div className="action-form">
          <TextField label="Workflow id" value={head.workflow_id} readOnly={readOnly || !isNew} errors={fields["workflow_id"]}
            onChange={(v) => onChange({ ...head, workflow_id: v })} />
          <TextField label="Workflow name" value={head.name} readOnly={readOnly} errors={fields["name"]} onChange={(v) => onChange({ ...head, name: v })} />
          <TextField label="Description" value={head.description ?? ""} readOnly={readOnly} errors={fields["description"]}
            onChange={(v) => onChange({ ...head, description: v })} />
          <WorkflowSettingsFields head={head} fields={fields} readOnly={readOnly} onChange={onChange} />
          <TextField label="Trigger event type" value={trigger.type} readOnly={readOnly} errors={fields["trigger.type"]}
            hint='An event type such as user_signup (those received or used by other workflows are offered; a new one may be typed), or "schedule" for a cron or interval'
            suggestions={eventTypes.data && eventTypeSuggestions(eventTypes.data.items)} onChange={(v) => setTrigger({ type: v })} />
          {trigger.type === "schedule" && (
            <>
              <TextField label="Cron" value={trigger.cron ?? ""} readOnly={readOnly} errors={fields["trigger.cron"]} hint="e.g. 0 9 * * 1-5" onChange={(v) => setTrigger({ cron: v })} />
              <TextField label="Interval" value={String(trigger.interval ?? "")} readOnly={readOnly} errors={fields["trigger.interval"]} hint="Seconds or PT1H (instead of cron)"
                onChange={(v) => setTrigger({ interval: /^\d+$/.test(v) ? Number(v) : v })} />
              <TextField label="Time zone" value={trigger.timezone ?? ""} readOnly={readOnly} errors={fields["trigger.timezone"]} hint="e.g. Europe/Berlin" onChange={(v) => setTrigger({ timezone: v })} />
            </>
          )}
          <FieldProblems errors={fields["trigger"]} />
          {formEditable(trigger.conditions) ? (
            <SchemaForm idPrefix="trigger-conditions" schema={{ ...CONDITIONS_SCHEMA, title: "Trigger conditions" }} value={toForm(trigger.conditions)} greyedBy={readOnlyNote(readOnly)}
              errors={fieldsUnder(fields, "trigger.conditions")} onChange={(rows) => setTrigger({ conditions: fromForm(rows as never) })} />
          ) : (
            <p className="muted">The trigger's conditions use groups: edit them in the JSON tab.</p>
          )}
          <FieldProblems errors={fields["trigger.conditions"]} />
        </div>
      )}
    </div>
  );
}
