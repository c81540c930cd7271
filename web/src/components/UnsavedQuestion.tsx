// The question asked before unsaved editor changes are dropped (leaving the editor, signing
// out), with the focus on staying: Escape, the key that closes a question, stays too, so it is
// never the one that loses the edits.
import { useEffect, useRef, type KeyboardEvent } from "react";

export interface UnsavedQuestionProps {
  /** The workflow's name, or "" for one not named yet. */
  name: string;
  /** What going on does, as a question: "Leave this page and lose them?" */
  question: string;
  /** The button that goes on and drops the changes: "Leave without saving". */
  goOn: string;
  onStay: () => void;
  onGoOn: () => void;
}

export function UnsavedQuestion({ name, question, goOn, onStay, onGoOn }: UnsavedQuestionProps) {
  const stay = useRef<HTMLButtonElement>(null);
  // What had the focus when the question took it (the link followed, Sign out): staying gives
  // it back, rather than leaving a keyboard user at the page's start once the question goes.
  const asker = useRef<Element | null>(null);
  useEffect(() => {
    asker.current = document.activeElement;
    stay.current?.focus();
  }, []);
  const keep = () => {
    onStay();
    if (asker.current instanceof HTMLElement) asker.current.focus();
  };
  const escape = (event: KeyboardEvent) => {
    if (event.key === "Escape") keep();
  };
  return (
    <div role="alertdialog" aria-label="Unsaved changes" aria-describedby="unsaved-question-text" className="leave-guard" onKeyDown={escape}>
      <p id="unsaved-question-text">
        <strong>{name || "This workflow"}</strong> has changes that are not saved. {question}
      </p>
      <div className="toolbar">
        <button type="button" ref={stay} className="primary" onClick={keep}>Stay and keep editing</button>
        <button type="button" className="danger" onClick={onGoOn}>{goOn}</button>
      </div>
    </div>
  );
}
