// The workflow's tags and its error workflow (`settings.on_failure`), beside its trigger.
import { useId, useState, type ChangeEvent } from "react";
import { useWorkflowList, useWorkflowNames, workflowOptions } from "../../api/workflows";
import { greyedControl } from "../../components/greyedControl";
import type { DocumentHead } from "../../workflow/document";
import { namesText } from "../../workflow/names";
import { errorWorkflowOf, withErrorWorkflow, withTags } from "../../workflow/settings";
import { readOnlyNote } from "./ReadOnlyNote";
import { FieldProblems } from "./TextField";

export interface WorkflowSettingsFieldsProps {
  head: DocumentHead;
  fields: Record<string, string[]>;
  readOnly: boolean;
  onChange: (head: DocumentHead) => void;
}

export function WorkflowSettingsFields({ head, fields, readOnly, onChange }: WorkflowSettingsFieldsProps) {
  const [typed, setTyped] = useState("");
  const workflows = useWorkflowList(false);
  const names = useWorkflowNames();
  const tagsId = useId();
  const errorId = useId();
  const errorWorkflow = errorWorkflowOf(head);
  const known = workflows.data?.items.map((one) => one.workflow_id) ?? [];
  // The document may name a workflow the list does not hold (archived, deleted): still shown.
  const choices = errorWorkflow && !known.includes(errorWorkflow) ? [errorWorkflow, ...known] : known;
  return (
    <>
      <div className="text-field">
        <label htmlFor={tagsId}>Tags</label>
        <input id={tagsId} value={namesText(typed, head.tags as string[] | undefined)} readOnly={readOnly} placeholder="e.g. billing, emea"
          onChange={(e) => { setTyped(e.target.value); onChange(withTags(head, e.target.value)); }} />
        <div className="muted">Lowercase, comma-separated: the list narrows by them and API keys can be limited to them</div>
        <FieldProblems errors={fields["tags"]} />
      </div>
      <div className="text-field">
        <label htmlFor={errorId}>Error workflow</label>
        <select id={errorId} value={errorWorkflow}
          {...greyedControl(readOnlyNote(readOnly), (e: ChangeEvent<HTMLSelectElement>) => onChange(withErrorWorkflow(head, e.target.value)))}>
          <option value="">none</option>
          {workflowOptions(choices, names).map(({ id, label }) => <option key={id} value={id} title={id}>{label}</option>)}
        </select>
        <div className="muted">Started (its published version) when a run of this workflow fails, with the failure as {"{{ failure.* }}"}</div>
        <FieldProblems errors={fields["settings.on_failure.workflow_id"] ?? fields["settings.on_failure"]} />
      </div>
    </>
  );
}
