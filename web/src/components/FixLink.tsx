// An error or warning that names something missing, with the link to the page that makes it
// (components/fixes.ts) in place of the message's own advice, for whoever may open that page;
// that page leads back (BackLink). Whoever may not reads the whole message.
import { Link, useLocation } from "react-router";
import { backTo, fixFor, type BackTo } from "./fixes";
import { useSession } from "./SessionContext";

export function FixableMessage({ message }: { message: string }) {
  const { canGovern } = useSession();
  const here = useLocation();
  const fix = fixFor(message);
  if (!fix || (fix.adminOnly && !canGovern)) return <>{message}</>;
  const back = backTo(here.pathname, here.search, here.state);
  return <>{fix.problem}. <Link to={fix.to} state={{ back }}>{fix.label}</Link></>;
}

/** "← Back to the workflow" on a page a FixLink opened: once the template or secret is made,
 * the next step is the workflow or run that needed it (a new workflow's draft included). */
export function BackLink() {
  const back = (useLocation().state as { back?: BackTo } | null)?.back;
  if (!back) return null;
  return <p><Link to={back.to} state={back.state}>← {back.label}</Link></p>;
}
