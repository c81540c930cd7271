// Where a run sits among others: the parent that started it (parallel branch,
// trigger_workflow, or the failed run whose settings.on_failure started this error
// workflow's run) and the children it started and waits for.
import { Link } from "react-router";
import type { RunRead } from "../../api/runs";

const runLink = (id: string) => <Link to={`/runs/${encodeURIComponent(id)}`}><code>{id}</code></Link>;

interface Child { run_id: string; branch?: string | null }

/** The children a run waits for at a join, as the API gives them. */
export function childrenOf(run: Pick<RunRead, "join">): Child[] {
  const children = run.join?.["children"];
  if (!Array.isArray(children)) return [];
  return children.flatMap((child: unknown) => {
    if (typeof child !== "object" || child === null) return [];
    const { run_id, branch } = child as Record<string, unknown>;
    return typeof run_id === "string" ? [{ run_id, branch: typeof branch === "string" ? branch : null }] : [];
  });
}

// The parent step of a run settings.on_failure started (app/failures.py).
const ON_FAILURE_STEP = "$on_failure";

/** Whether the run was started by its parent's on_failure (an error workflow's run). */
export function startedOnFailure(run: Pick<RunRead, "parent">): boolean {
  return run.parent?.["step"] === ON_FAILURE_STEP;
}

export function RunFamily({ run }: { run: RunRead }) {
  const parentId = run.parent?.["run_id"];
  const children = childrenOf(run);
  if (typeof parentId !== "string" && children.length === 0) return null;
  return (
    <section className="card">
      <h2>Related runs</h2>
      {typeof parentId === "string" && startedOnFailure(run) && (
        <p>Started by the on_failure of the failed run {runLink(parentId)}: its own failure sets nothing off.</p>
      )}
      {typeof parentId === "string" && !startedOnFailure(run) && (
        <p>
          Parent: {runLink(parentId)} at step <code>{String(run.parent?.["step"] ?? "?")}</code>
          {run.parent?.["branch"] ? <> (branch <code>{String(run.parent["branch"])}</code>)</> : null}
          {run.depth > 0 && <span className="muted"> · {run.depth} sub-workflow level(s) deep</span>}
        </p>
      )}
      {children.length > 0 && (
        <>
          <p>
            Waits at step <code>{String(run.join?.["step"])}</code> for {String(run.join?.["mode"])} of its
            children ({String(run.join?.["count"])} needed):
          </p>
          <ul>
            {children.map((child) => (
              <li key={child.run_id}>{runLink(child.run_id)}{child.branch && <> · branch <code>{child.branch}</code></>}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
