// Which workflow has unsaved editor changes, if any, for the frame around the pages: signing
// out drops them as surely as leaving the editor does, so it asks first too.
import { createContext, useContext, useEffect } from "react";

/** Takes the unsaved workflow's name ("" when it has none yet), or null once nothing is. */
export const UnsavedReporter = createContext<(name: string | null) => void>(() => undefined);

/** Reports the editor's unsaved changes (`dirty`) of workflow `name` while it is open. */
export function useReportUnsaved(dirty: boolean, name: string): void {
  const report = useContext(UnsavedReporter);
  useEffect(() => {
    report(dirty ? name : null);
    return () => report(null);
  }, [dirty, name, report]);
}
