// The Rule Tester: a workflow's conditions against a sample JSON payload (POST /api/rules/test),
// the Test tab's sample event as a run's context.
import { useId, useMemo, useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { testRules } from "../../api/testing";
import { ErrorNotice } from "../../components/ErrorNotice";
import { GreyableButton } from "../../components/GreyableButton";
import { greyedReason } from "../../components/greyedReason";
import { ConditionResults, type ExplainedCondition } from "../../components/ConditionResults";
import { JsonField, parseJsonText } from "../../components/forms/JsonField";
import { allActions, type WorkflowDocument } from "../../workflow/document";
import { sampleContext, type TemplateText } from "../../workflow/sample";
import { WithTemplates } from "./WithTemplates";

/** The condition sets a workflow holds: its trigger's, then each condition action's. */
export function conditionSources(doc: WorkflowDocument): { key: string; label: string; conditions: unknown[] }[] {
  const trigger = { key: "trigger", label: `Trigger (${doc.trigger.type})`, conditions: doc.trigger.conditions ?? [] };
  const steps = allActions(doc)
    .filter(({ action }) => action.conditions?.length)
    .map(({ action }) => ({ key: action.id ?? "", label: `${action.type} ${action.id}`, conditions: action.conditions ?? [] }));
  return [trigger, ...steps];
}

/** Why Test the conditions is greyed, in words (null: it tests). */
export function untestableBecause(conditionsError: string | undefined, payloadError: string | undefined, none: boolean): string | null {
  return greyedReason("test the conditions", [
    conditionsError && "correct the conditions' JSON",
    none && "write at least one",
    payloadError && "correct the sample payload's JSON",
  ]);
}

/** The Rule Tester, once the message templates its sample payload reads are known. */
export function RuleTesterPanel({ document }: { document: WorkflowDocument }) {
  return <WithTemplates>{(templates) => <RuleTester document={document} templates={templates} />}</WithTemplates>;
}

function RuleTester({ document, templates }: { document: WorkflowDocument; templates: readonly TemplateText[] }) {
  const sources = useMemo(() => conditionSources(document), [document]);
  // A trigger with no conditions has nothing to test: start on the first set that has some.
  const [source, setSource] = useState((sources.find((s) => s.conditions.length) ?? sources[0])?.key ?? "trigger");
  const initial = sources.find((s) => s.key === source)?.conditions ?? [];
  const [conditionsText, setConditionsText] = useState(JSON.stringify(initial, null, 2));
  const [payloadText, setPayloadText] = useState(() => JSON.stringify(sampleContext(document, templates), null, 2));
  const run = useMutation({ mutationFn: ({ conditions, payload }: { conditions: unknown; payload: unknown }) => testRules(conditions, payload) });
  const pick = (key: string) => {
    setSource(key);
    setConditionsText(JSON.stringify(sources.find((s) => s.key === key)?.conditions ?? [], null, 2));
  };
  const conditions = parseJsonText(conditionsText);
  const payload = parseJsonText(payloadText);
  const none = Array.isArray(conditions.value) && conditions.value.length === 0;
  const untestable = untestableBecause(conditions.error, payload.error, none);
  const reasonId = useId();
  return (
    <section className="panel rule-tester" aria-label="Rule Tester">
      <label className="inline">
        Conditions of
        <select value={source} onChange={(e) => pick(e.target.value)}>
          {sources.map((s) => <option key={s.key} value={s.key}>{s.label}</option>)}
        </select>
      </label>
      <div className="two-columns">
        <JsonField label="Conditions" text={conditionsText} onChange={setConditionsText} rows={12} />
        <JsonField label="Sample payload" text={payloadText} onChange={setPayloadText} rows={12} />
      </div>
      <div>
        <GreyableButton className="primary" disabled={run.isPending} greyedBy={untestable ? reasonId : undefined}
          onClick={() => run.mutate({ conditions: conditions.value, payload: payload.value })}>
          Test the conditions
        </GreyableButton>
      </div>
      {untestable && <p className="muted" id={reasonId}>{untestable}</p>}
      {none && (
        <p className="muted" role="note">
          No conditions to test{source === "trigger" ? ": the trigger has none, so every event of its type starts a run" : ""}.
          Write some above, such as <code>{'[{"field": "plan", "operator": "equals", "value": "pro"}]'}</code>, to try them on the sample payload.
        </p>
      )}
      <ErrorNotice error={run.error} />
      {run.data && (
        <div aria-label="Rule results">
          <p>All together: <span className={run.data.result ? "result-true" : "result-false"}>{run.data.result ? "true" : "false"}</span></p>
          <ConditionResults conditions={run.data.conditions as unknown as ExplainedCondition[]} />
        </div>
      )}
    </section>
  );
}
