// A workflow where people look for its name (a run's, a failing one's): the name, linked when
// `to` is given, with its id beside it as secondary text; the id alone while no name is known.
import { Link } from "react-router";
import { useWorkflowNames } from "../api/workflows";

export function WorkflowName({ id, to }: { id: string; to?: string }) {
  const name = useWorkflowNames().get(id);
  const shown = name || id;
  return (
    <span className="workflow-name">
      {to ? <Link to={to}>{shown}</Link> : shown}
      {shown !== id && <> <span className="muted">{id}</span></>}
    </span>
  );
}
