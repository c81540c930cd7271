// The link beside an error or warning to the page that makes what it says is missing
// (components/fixes.ts), for whoever may open that page; that page leads back (BackLink).
import { Link, useLocation } from "react-router";
import { backTo, fixFor, type BackTo } from "./fixes";
import { useSession } from "./SessionContext";

export function FixLink({ message }: { message: string | null }) {
  const { canGovern } = useSession();
  const here = useLocation();
  const fix = message === null ? null : fixFor(message);
  if (!fix || (fix.adminOnly && !canGovern)) return null;
  const back = backTo(here.pathname, here.search, here.state);
  return <> <Link to={fix.to} state={{ back }}>{fix.label}</Link></>;
}

/** "← Back to the workflow" on a page a FixLink opened: once the template or secret is made,
 * the next step is the workflow or run that needed it (a new workflow's draft included). */
export function BackLink() {
  const back = (useLocation().state as { back?: BackTo } | null)?.back;
  if (!back) return null;
  return <p><Link to={back.to} state={back.state}>← {back.label}</Link></p>;
}
