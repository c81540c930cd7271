// What a valid document still lacks to run (POST /api/workflows/validate's warnings): a message
// template not created yet, a secret, a channel's provider. They do not stop a save.
import { Link } from "react-router";
import type { components } from "../../api/schema";
import { useSession } from "../../components/SessionContext";
import { warningFix } from "./warningFix";

export type ValidationWarning = components["schemas"]["ValidationWarning"];

export function ValidationWarnings({ warnings }: { warnings: ValidationWarning[] }) {
  const { canGovern } = useSession();
  if (warnings.length === 0) return null;
  return (
    <div className="validation-warnings" role="status">
      <p>Would fail if a run reached {warnings.length === 1 ? "this step" : "these steps"} now:</p>
      <ul>
        {warnings.map((warning) => (
          <li key={warning.action_id}>
            <code>{warning.action_id}</code> ({warning.action_type}): {warning.message}
            <Fix message={warning.message} admin={canGovern} />
          </li>
        ))}
      </ul>
    </div>
  );
}

function Fix({ message, admin }: { message: string; admin: boolean }) {
  const fix = warningFix(message);
  if (!fix || (fix.adminOnly && !admin)) return null;
  return <> <Link to={fix.to}>{fix.label}</Link></>;
}
