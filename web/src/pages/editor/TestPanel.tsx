// The Test tab: the saved workflow's dry run on a sample event, its trace step by step and
// drawn on the canvas (POST /api/workflows/{id}/test; nothing is sent or stored); and the
// same event sent for real (POST /api/events), or for a scheduled workflow a run started now
// (POST /api/workflows/{id}/run), or a test run started now with its delays skipped
// (`skip_delays`), with links to the runs it started.
import { useId, useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { testWorkflow } from "../../api/testing";
import { useRunNow, useSendEvent } from "../../api/events";
import { useSession } from "../../components/SessionContext";
import { ErrorNotice } from "../../components/ErrorNotice";
import { FixableMessage } from "../../components/FixLink";
import { fixFor } from "../../components/fixes";
import { GreyableButton } from "../../components/GreyableButton";
import { greyedReason } from "../../components/greyedReason";
import { ConditionResults, type ExplainedCondition } from "../../components/ConditionResults";
import { JsonField, parseJsonText } from "../../components/forms/JsonField";
import { WorkflowCanvas } from "../../components/canvas/WorkflowCanvas";
import type { StepState } from "../../components/canvas/nodeData";
import { describeDelay, type WorkflowDocument } from "../../workflow/document";
import { sampleEvent, type TemplateText } from "../../workflow/sample";
import { traceDetail, traceStates, type TraceEntry } from "../../workflow/trace";
import { SentEvent } from "../../components/SentEvent";
import { TableScroll } from "../../components/TableScroll";
import { WithTemplates } from "./WithTemplates";

export interface TestPanelProps {
  workflowId: string;
  document: WorkflowDocument;
  dirty: boolean;
  onTrace: (trace: Map<string, StepState> | undefined) => void;
}

/** Why the dry run and the real event are greyed, in words (null: they run). */
export function unrunnableBecause(userError: string | undefined, dataError: string | undefined): string | null {
  return greyedReason("run it", [userError && "correct the user's JSON", dataError && "correct the event data's JSON"]);
}

/** Which real run the Test tab offers: the event sent to `POST /api/events`; a scheduled
 * workflow, which no event starts, run now; or, asked to skip delays, a test run started
 * now with them passed over (both run now: editors only). Null: none for this key. */
export function realRun(given: { scheduled: boolean; skipDelays: boolean; canEdit: boolean; canSendEvents: boolean }): "event" | "run_now" | "test_run" | null {
  if (given.canEdit && given.skipDelays) return "test_run";
  if (given.scheduled) return given.canEdit ? "run_now" : null;
  return given.canSendEvents ? "event" : null;
}

/** The test tab, once the message templates its sample reads are known. */
export function TestPanel(props: TestPanelProps) {
  return <WithTemplates>{(templates) => <TestForm {...props} templates={templates} />}</WithTemplates>;
}

function TestForm({ workflowId, document, dirty, onTrace, templates }: TestPanelProps & { templates: readonly TemplateText[] }) {
  const [eventType, setEventType] = useState(document.trigger.type === "schedule" ? "run_now" : document.trigger.type);
  // A sample the trigger's and the main path's conditions hold for, so a first dry run goes
  // through the workflow.
  const [sample] = useState(() => sampleEvent(document, templates));
  const [userText, setUserText] = useState(JSON.stringify(sample.user, null, 2));
  const [dataText, setDataText] = useState(JSON.stringify(sample.data, null, 2));
  const [states, setStates] = useState<Map<string, StepState> | undefined>(undefined);
  const event = () => ({ type: eventType, user: parseJsonText(userText).value, data: parseJsonText(dataText).value });
  const run = useMutation({
    mutationFn: () => testWorkflow(workflowId, event()),
    onSuccess: (result) => {
      const next = traceStates(result.trace as TraceEntry[]);
      setStates(next);
      onTrace(next);
    },
  });
  const { canSendEvents, canEdit } = useSession();
  const send = useSendEvent();
  const runNow = useRunNow(workflowId);
  const scheduled = document.trigger.type === "schedule";
  const [skipDelays, setSkipDelays] = useState(false);
  const real = realRun({ scheduled, skipDelays, canEdit, canSendEvents });
  const accepted = send.data ?? runNow.data;
  const untestable = unrunnableBecause(parseJsonText(userText).error, parseJsonText(dataText).error);
  const reasonId = useId();
  const greyedBy = untestable ? reasonId : undefined;
  const result = run.data;
  return (
    <section className="test-tab" aria-label="Test">
      <div className="panel">
        {dirty && <p className="muted">The dry run tests the saved version, a real event runs the active one: save (and publish) to try your latest changes.</p>}
        <label htmlFor="test-event-type">Event type</label>
        <input id="test-event-type" value={eventType} onChange={(e) => setEventType(e.target.value)} />
        <div className="two-columns">
          <JsonField label="User" text={userText} onChange={setUserText} rows={6} />
          <JsonField label="Event data" text={dataText} onChange={setDataText} rows={6} />
        </div>
        <div>
          <GreyableButton className="primary" disabled={run.isPending} greyedBy={greyedBy} onClick={() => run.mutate()}>Run a dry run</GreyableButton>
          {real === "run_now" && (
            <GreyableButton disabled={runNow.isPending} greyedBy={greyedBy} onClick={() => runNow.mutate(event())}
              title="Starts one run of the active version now, as its schedule would, with this user and data: messages are sent.">
              Run now
            </GreyableButton>
          )}
          {real === "test_run" && (
            <GreyableButton disabled={runNow.isPending} greyedBy={greyedBy} onClick={() => runNow.mutate({ ...event(), skipDelays: true })}
              title="Starts one run of the active version now with this user and data, its trigger's conditions unchecked, every step's delay passed over: messages are sent.">
              Run now, skipping delays
            </GreyableButton>
          )}
          {real === "event" && (
            <GreyableButton disabled={send.isPending} greyedBy={greyedBy} onClick={() => send.mutate(event())}
              title="Sends this event to the service as your systems would: the active version of every workflow listening to its type runs, and messages are sent.">
              Send a real event
            </GreyableButton>
          )}
          {canEdit && (
            <label className="inline">
              <input type="checkbox" checked={skipDelays} onChange={(e) => setSkipDelays(e.target.checked)} />
              Skip delays
            </label>
          )}
        </div>
        {real === "test_run" && <p className="muted">A test run of this workflow alone: each step's delay is passed over and noted in the run's history; waits for events, approvals and send windows still wait.</p>}
        {untestable && <p className="muted" id={reasonId}>{untestable}</p>}
        <ErrorNotice error={run.error ?? send.error ?? runNow.error} />
        {accepted && <SentEvent accepted={accepted} workflowId={workflowId} />}
        {result && (
          <div aria-label="Dry run result">
            <p>
              Trigger {result.matched ? <span className="result-true">matches</span> : <span className="result-false">does not match</span>} · the run
              would end <strong className={`run-${result.status}`}>{result.status}</strong>
              {result.error && <span className="error-inline"> — <FixableMessage message={String(result.error["message"] ?? "")} /></span>}
            </p>
            {result.conditions.length > 0 && <ConditionResults conditions={result.conditions as unknown as ExplainedCondition[]} />}
            <TraceTable trace={result.trace as TraceEntry[]} />
          </div>
        )}
      </div>
      <WorkflowCanvas document={document} states={states} />
    </section>
  );
}

function TraceTable({ trace }: { trace: TraceEntry[] }) {
  return (
    <TableScroll label="Steps of the dry run">
      <table className="workflows trace">
        <thead><tr><th>At</th><th>Step</th><th>State</th><th>Detail</th></tr></thead>
        <tbody>
          {trace.map((entry, i) => (
            <tr key={i} className={entry.status ? `trace-${entry.status}` : "trace-wait"}>
              <td>+{describeDelay(entry.at ?? 0)}</td>
              <td>{entry.step_id ? <><code>{entry.step_id}</code> <span className="muted">{entry.type}</span></> : <em>wait</em>}</td>
              <td>{entry.status?.replaceAll("_", " ") ?? `${describeDelay(entry.wait_seconds ?? 0)} (${entry.reason ?? "wait"})`}</td>
              <td className="trace-detail" title={stepDetail(entry)}>{stepDetail(entry)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

/** A step's row: what it would send, or what it lacks without the API's advice on making it
 * (the result's line above links to the page that makes it). */
function stepDetail(entry: TraceEntry): string {
  const detail = traceDetail(entry);
  return (entry.error?.message && fixFor(detail)?.problem) || detail;
}
