// A run's steps in the order they ran: start, duration, attempt (the API's: of its call,
// counting every one made), state, then each step's rendered input, output and error (the connector's message), as text.
import type { StepRead } from "../../api/runs";
import { FixableMessage } from "../../components/FixLink";
import { JsonText } from "../../components/JsonText";
import { StatusBadge } from "../../components/StatusBadge";
import { duration, secondsBetween, when } from "../../components/time";
import { errorMessage } from "./errorText";

export function StepTimeline({ steps, runStart }: { steps: readonly StepRead[]; runStart: string }) {
  if (steps.length === 0) return <p className="muted">No step has run yet.</p>;
  const origin = new Date(runStart).getTime();
  const end = Math.max(...steps.map((step) => new Date(step.finished_at).getTime()), origin + 1);
  const span = end - origin;
  return (
    <ol className="timeline">
      {steps.map((step, index) => {
        const left = ((new Date(step.started_at).getTime() - origin) / span) * 100;
        const width = Math.max((secondsBetween(step.started_at, step.finished_at) * 1000 / span) * 100, 0.5);
        const message = errorMessage(step.error);
        return (
          <li key={`${step.idempotency_key}:${index}`} className="step" data-step={step.step_id} data-status={step.status}>
            <details open={step.status === "failed"}>
              <summary>
                <span className="step-name"><code>{step.step_id}</code> <span className="muted">{step.action_type}</span></span>
                <StatusBadge status={step.status} />
                <span className="muted">{when(step.started_at)} · {duration(secondsBetween(step.started_at, step.finished_at))} · attempt {step.attempt}</span>
                <span className="bar" aria-hidden="true"><span data-status={step.status} style={{ left: `${Math.max(left, 0)}%`, width: `${Math.min(width, 100)}%` }} /></span>
              </summary>
              {message && (
                <div className="error step-error" role="note" aria-label={`Error of step ${step.step_id}`}>
                  <strong>Error:</strong> <FixableMessage message={message} />
                </div>
              )}
              <div className="step-io">
                <div><h4>Input</h4><JsonText value={step.input} label={`Input of step ${step.step_id}`} /></div>
                <div><h4>Output</h4><JsonText value={step.output} label={`Output of step ${step.step_id}`} /></div>
              </div>
            </details>
          </li>
        );
      })}
    </ol>
  );
}
