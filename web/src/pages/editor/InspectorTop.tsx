// What both inspectors show above their fields: the node's problems, and the tabs that
// choose between the form and the raw JSON.
import type { NodeProblem } from "../../workflow/problems";

export type InspectorTab = "form" | "json";

/** The node's problems, a message a line; nothing when it has none. */
export function NodeProblems({ problem }: { problem: NodeProblem | undefined }) {
  if (!problem) return null;
  return (
    <div className="error" role="alert">
      {problem.messages.map((m, i) => <div key={i}>{m}</div>)}
    </div>
  );
}

export function InspectorTabs({ tab, onTab }: { tab: InspectorTab; onTab: (tab: InspectorTab) => void }) {
  return (
    <div className="tabs" role="tablist">
      <button type="button" role="tab" aria-selected={tab === "form"} onClick={() => onTab("form")}>Form</button>
      <button type="button" role="tab" aria-selected={tab === "json"} onClick={() => onTab("json")}>JSON</button>
    </div>
  );
}
