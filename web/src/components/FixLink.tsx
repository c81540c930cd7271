// An error or warning that names something missing, with the link to the page that makes it
// (components/fixes.ts) in place of the message's own advice, for whoever may open that page;
// that page leads back (BackLink). Whoever may not reads the whole message.
import { Link, useLocation } from "react-router";
import type { Action } from "../workflow/document";
import { backTo, fixFor, type FixState } from "./fixes";
import { useSession } from "./SessionContext";

/** `step`: the step the message is about, whose data the page opened fills its sample from. */
export function FixableMessage({ message, step }: { message: string; step?: Action | undefined }) {
  const { canGovern } = useSession();
  const here = useLocation();
  const fix = fixFor(message);
  if (!fix || (fix.adminOnly && !canGovern)) return <>{message}</>;
  const back = backTo(here.pathname, here.search, here.state);
  const state: FixState = { back, step };
  return <>{fix.problem}. <Link to={fix.to} state={state}>{fix.label}</Link></>;
}

/** "← Back to the workflow" on a page a FixLink opened: once the template or secret is made,
 * the next step is the workflow or run that needed it (a new workflow's draft included). */
export function BackLink() {
  const back = (useLocation().state as Partial<FixState> | null)?.back;
  if (!back) return null;
  return <p><Link to={back.to} state={back.state}>← {back.label}</Link></p>;
}
