// /studio/wizard/: start a workflow from a sentence (the copilot drafts it), or blank or from a
// seed template with a chosen trigger, then land on the canvas.
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useWorkflowList } from "../../api/workflows";
import { freeIdFrom, TEMPLATES } from "../../workflow/templates";
import type { Trigger, WorkflowDocument } from "../../workflow/document";
import { DescribeWorkflow } from "./DescribeWorkflow";
import { TemplatePicker } from "./TemplatePicker";
import { TriggerChoice, type TriggerDraft } from "./TriggerChoice";

/** The document the wizard's answers make. */
export function draftDocument(template: WorkflowDocument | null, id: string, name: string, trigger: TriggerDraft): WorkflowDocument {
  const chosen: Trigger =
    trigger.kind === "schedule"
      ? { type: "schedule", ...(trigger.cron ? { cron: trigger.cron } : {}), ...(trigger.timezone ? { timezone: trigger.timezone } : {}) }
      : { ...(template?.trigger.type === trigger.eventType ? template.trigger : {}), type: trigger.eventType };
  const base: WorkflowDocument = template ? structuredClone(template) : { workflow_id: id, name, trigger: chosen, actions: [] };
  return { ...base, workflow_id: id, name, trigger: chosen };
}

export function WizardPage() {
  const navigate = useNavigate();
  const [templateFile, setTemplateFile] = useState<string | null>(null);
  const template = TEMPLATES.find((t) => t.file === templateFile)?.document ?? null;
  // Unset until typed: a template's id is suggested from the tenant's workflows, and follows
  // their list when it arrives after the pick.
  const [typedId, setTypedId] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [trigger, setTrigger] = useState<TriggerDraft>({ kind: "event", eventType: "user_signup", cron: "0 9 * * 1-5", timezone: "" });
  const workflows = useWorkflowList(true);
  const taken = new Set(workflows.data?.items.map((one) => one.workflow_id));
  const id = typedId ?? (template ? freeIdFrom(template.workflow_id, taken) : "");

  const pick = (file: string | null) => {
    setTemplateFile(file);
    const chosen = TEMPLATES.find((t) => t.file === file)?.document;
    setTypedId(chosen ? null : id);
    if (chosen) {
      setName(chosen.name);
      setTrigger((now) => ({ ...now, kind: chosen.trigger.type === "schedule" ? "schedule" : "event", eventType: chosen.trigger.type }));
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate("/wizard/canvas", { state: { document: draftDocument(template, id.trim(), name.trim(), trigger) } });
  };
  return (
    <section className="wizard">
      <h1>New workflow</h1>
      <DescribeWorkflow />
      <p className="or">or build it step by step:</p>
      <form onSubmit={submit}>
        <TemplatePicker templates={TEMPLATES} chosen={templateFile} onPick={pick} />
        <fieldset>
          <legend>2. Name it</legend>
          <label htmlFor="wf-id">Workflow id</label>
          <input id="wf-id" value={id} onChange={(e) => setTypedId(e.target.value)} required pattern="[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}" placeholder="order_followup" />
          <label htmlFor="wf-name">Name</label>
          <input id="wf-name" value={name} onChange={(e) => setName(e.target.value)} required placeholder="Order follow-up" />
        </fieldset>
        <TriggerChoice value={trigger} onChange={setTrigger} />
        <button type="submit" className="primary">Open on the canvas</button>
      </form>
    </section>
  );
}
