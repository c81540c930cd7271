// Pause, resume, cancel, retry, skip: for admins and editors only. A command that does not
// fit the run's state, and every one while a command is being sent, is greyed, described by
// the reason; a 409 (the state changed meanwhile) is explained in the same words, with the
// API's own message. Cancel and skip, which no command undoes, ask first. Retry and skip act
// on the step the run is at, so they carry the revision of the run as shown when chosen: a
// run that moved on since refuses them, rather than retry or skip a step nobody saw.
import { useId, useState, type KeyboardEvent } from "react";
import { ApiError } from "../../api/client";
import { useRunCommand, type RunCommand, type RunRead } from "../../api/runs";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ExplainedButton } from "../../components/ExplainedButton";
import { COMMANDS, explainRefusal, movedOn, waitsToRetry, whyGreyed } from "./commands";

const LABELS: Readonly<Record<RunCommand, string>> = {
  pause: "Pause", resume: "Resume", cancel: "Cancel", retry: "Retry", skip: "Skip step",
};

/** The commands nothing undoes, each with its question, what it ends, its confirming button and
 * the one that does not send it (both named for what they do, not "OK" and "Keep it"). */
const FOR_GOOD = {
  cancel: {
    question: "Cancel this run?",
    text: "Cancel ends the run for good: its remaining steps never run, and it cannot be resumed or retried.",
    confirm: "Cancel the run",
    keep: "Don't cancel",
  },
  skip: {
    question: "Skip this step?",
    text: "Skip moves the run past its current step for good: that step never runs for this run, and no command brings it back.",
    confirm: "Skip the step",
    keep: "Don't skip",
  },
} as const;
type ForGood = keyof typeof FOR_GOOD;

/** The commands whose effect depends on the step the run is at. */
const STEPWISE: ReadonlySet<RunCommand> = new Set(["retry", "skip"]);

function asksFirst(name: RunCommand): name is ForGood {
  return name in FOR_GOOD;
}

export function RunControls({ run }: { run: RunRead }) {
  const command = useRunCommand(run.run_id);
  const [asked, setAsked] = useState<{ command: RunCommand; status: RunRead["status"] } | null>(null);
  const [confirming, setConfirming] = useState<{ command: ForGood; revision: number } | null>(null);
  const send = (name: RunCommand, revision = run.revision) => {
    setConfirming(null);
    setAsked({ command: name, status: run.status });
    command.mutate({ command: name, revision: STEPWISE.has(name) ? revision : undefined });
  };
  const label = (name: RunCommand) => (name === "retry" && waitsToRetry(run) ? "Retry now" : LABELS[name]);
  const refused = command.error instanceof ApiError && command.error.status === 409;
  const sending = command.isPending && asked ? asked.command : null;
  return (
    <div className="run-controls">
      <div className="toolbar" role="group" aria-label="Run control">
        {COMMANDS.map((name) => (
          <ExplainedButton key={name} className={name === "cancel" ? "danger" : undefined} reason={whyGreyed(name, run, sending)}
            onClick={() => (asksFirst(name) ? setConfirming({ command: name, revision: run.revision }) : send(name))}>
            {label(name)}
          </ExplainedButton>
        ))}
      </div>
      {confirming && !whyGreyed(confirming.command, run, sending) && (
        <ConfirmForGood command={confirming.command} onConfirm={() => send(confirming.command, confirming.revision)}
          onKeep={() => setConfirming(null)} />
      )}
      {refused && asked && command.error instanceof ApiError && (
        <div role="alert" className="error">
          <strong>{LABELS[asked.command]} was refused.</strong>{" "}
          {movedOn(command.error.message)
            ? `The run moved on since you chose ${asked.command}: look at where it stands now, and choose again.`
            : explainRefusal(asked.command, statusIn(command.error.message) ?? asked.status)}
          <div className="muted">The service said: {command.error.message}</div>
        </div>
      )}
      {!refused && <ErrorNotice error={command.error} />}
      {/* The run as the page reads it now (the answer went into that read): the words follow
          the run as it moves on, rather than keep the state the answer found. */}
      {command.isSuccess && asked && <p className="muted" role="status">{LABELS[asked.command]}: the run is now {run.status}.</p>}
    </div>
  );
}

// Focus starts on keeping the run and Escape keeps it: nothing undoes a cancel or a skip, so a
// held or stray Enter, or a key meant to close the question, must not be the one that acts.
function ConfirmForGood({ command, onConfirm, onKeep }: { command: ForGood; onConfirm: () => void; onKeep: () => void }) {
  const { question, text, confirm, keep } = FOR_GOOD[command];
  const textId = useId();
  const escape = (event: KeyboardEvent) => {
    if (event.key === "Escape") onKeep();
  };
  return (
    <div role="alertdialog" aria-label={question} aria-describedby={textId} className="confirm" onKeyDown={escape}>
      <p id={textId}>{text}</p>
      <div className="toolbar">
        <button type="button" className="danger" onClick={onConfirm}>{confirm}</button>
        <button type="button" autoFocus onClick={onKeep}>{keep}</button>
      </div>
    </div>
  );
}

/** The state a 409 names ("Cannot retry run r: it is completed (...)"), fresher than ours. */
export function statusIn(message: string): RunRead["status"] | null {
  const found = /: it is (\w+)/.exec(message);
  const status = found?.[1];
  const known = ["pending", "running", "waiting", "paused", "completed", "failed", "cancelled"];
  return status && known.includes(status) ? (status as RunRead["status"]) : null;
}
