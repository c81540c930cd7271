// Leaving the editor with unsaved changes asks first: a link in the console (the header, a
// warning's "Create it under Governance → Message templates", the Test tab's "Follow run") would
// otherwise drop every edit without a word, and so would closing or reloading the tab, or
// signing out (asked by the frame, which this tells of the changes).
import { useEffect } from "react";
import { NavigationType, useBlocker } from "react-router";
import { UnsavedQuestion } from "../../components/UnsavedQuestion";
import { useReportUnsaved } from "../../components/UnsavedChanges";

export function LeaveGuard({ dirty, name }: { dirty: boolean; name: string }) {
  // Only a move to another page, and not the one saving a new workflow makes (it replaces the
  // wizard's address with the workflow's own, possibly before this knows the save is done).
  const blocker = useBlocker(({ currentLocation, nextLocation, historyAction }) =>
    dirty && historyAction !== NavigationType.Replace && currentLocation.pathname !== nextLocation.pathname);
  useReportUnsaved(dirty, name);
  useEffect(() => {
    if (!dirty) return;
    const ask = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", ask);
    return () => window.removeEventListener("beforeunload", ask);
  }, [dirty]);
  if (blocker.state !== "blocked") return null;
  return (
    <UnsavedQuestion name={name} question="Leave this page and lose them?" goOn="Leave without saving"
      onStay={() => blocker.reset()} onGoOn={() => blocker.proceed()} />
  );
}
