// Leaving the editor with unsaved changes asks first: a link in the console (the header, a
// warning's "Create it under Governance → Message templates", the Test tab's "Follow run") would
// otherwise drop every edit without a word, and so would closing or reloading the tab.
import { useEffect, useRef, type KeyboardEvent } from "react";
import { NavigationType, useBlocker } from "react-router";

export function LeaveGuard({ dirty, name }: { dirty: boolean; name: string }) {
  // Only a move to another page, and not the one saving a new workflow makes (it replaces the
  // wizard's address with the workflow's own, possibly before this knows the save is done).
  const blocker = useBlocker(({ currentLocation, nextLocation, historyAction }) =>
    dirty && historyAction !== NavigationType.Replace && currentLocation.pathname !== nextLocation.pathname);
  const stay = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!dirty) return;
    const ask = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", ask);
    return () => window.removeEventListener("beforeunload", ask);
  }, [dirty]);
  useEffect(() => {
    if (blocker.state === "blocked") stay.current?.focus();
  }, [blocker.state]);
  if (blocker.state !== "blocked") return null;
  // Escape, the key that closes a question, stays: it must not be the one that loses the edits.
  const escape = (event: KeyboardEvent) => {
    if (event.key === "Escape") blocker.reset();
  };
  return (
    <div role="alertdialog" aria-label="Unsaved changes" aria-describedby="leave-guard-text" className="leave-guard" onKeyDown={escape}>
      <p id="leave-guard-text">
        <strong>{name || "This workflow"}</strong> has changes that are not saved. Leave this page and lose them?
      </p>
      <div className="toolbar">
        <button type="button" ref={stay} className="primary" onClick={() => blocker.reset()}>Stay and keep editing</button>
        <button type="button" className="danger" onClick={() => blocker.proceed()}>Leave without saving</button>
      </div>
    </div>
  );
}
