// What a valid document still lacks to run (POST /api/workflows/validate's warnings, which a save
// and an import give too): a message template not created yet, a secret, a channel's provider.
// They do not stop a save.
import type { components } from "../api/schema";
import { allActions, type WorkflowDocument } from "../workflow/document";
import { FixableMessage } from "./FixLink";

export type ValidationWarning = components["schemas"]["ValidationWarning"];

/** `doc`: the document warned about, whose steps a warning's link passes on. */
export function ValidationWarnings({ warnings, doc }: { warnings: ValidationWarning[]; doc?: WorkflowDocument }) {
  if (warnings.length === 0) return null;
  const steps = doc ? allActions(doc).map((entry) => entry.action) : [];
  return (
    <div className="validation-warnings" role="status">
      <p>Would fail if a run reached {warnings.length === 1 ? "this step" : "these steps"} now:</p>
      <ul>
        {warnings.map((warning) => (
          <li key={warning.action_id}>
            <code>{warning.action_id}</code> ({warning.action_type}): <FixableMessage message={warning.message} step={steps.find((step) => step.id === warning.action_id)} />
          </li>
        ))}
      </ul>
    </div>
  );
}

