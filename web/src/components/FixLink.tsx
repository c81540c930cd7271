// The link beside an error or warning to the page that makes what it says is missing
// (components/fixes.ts), for whoever may open that page.
import { Link } from "react-router";
import { fixFor } from "./fixes";
import { useSession } from "./SessionContext";

export function FixLink({ message }: { message: string | null }) {
  const { canGovern } = useSession();
  const fix = message === null ? null : fixFor(message);
  if (!fix || (fix.adminOnly && !canGovern)) return null;
  return <> <Link to={fix.to}>{fix.label}</Link></>;
}
