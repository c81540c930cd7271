// Where in the console a missing piece named by an error or warning is made: the API's
// message says what is missing, then how to make it, in the Studio or with the API's call
// ("... or with POST /api/templates"); a person in the Studio wants the page, opened on the
// piece it names, and no API call beside it.

import type { Action } from "../workflow/document";

export interface Fix {
  to: string;
  label: string;
  /** Only admins reach the page (Governance → Secrets). */
  adminOnly: boolean;
  /** What the message says is missing, without its advice, which the link replaces. */
  problem: string;
}

type Maker = (name: string) => Omit<Fix, "problem">;

// Each pattern's first group is the problem, its second the name of what is missing.
const FIXES: [RegExp, Maker][] = [
  [/^(message template '(.+?)' was not found)/, (name) => ({
    to: `/governance/templates?new=${encodeURIComponent(name)}`, label: "Create it under Governance → Message templates", adminOnly: false,
  })],
  [/^(secret '(.+?)' is not set)/, (name) => ({
    to: `/governance/secrets?name=${encodeURIComponent(name)}`, label: "Store it under Governance → Secrets", adminOnly: true,
  })],
];

/** The page that makes what `message` says is missing, or null. */
export function fixFor(message: string): Fix | null {
  for (const [pattern, make] of FIXES) {
    const found = pattern.exec(message);
    if (found) return { ...make(found[2]!), problem: found[1]! };
  }
  return null;
}

/** Where a fix's page leads back to: the page whose error or warning linked to it, with its
 * history state (the wizard keeps a new workflow there), named for what it shows. */
export interface BackTo {
  to: string;
  state: unknown;
  label: string;
}

/** The history state of a page a fix's link opened: the way back, and the step that needed
 * the missing piece (a template's sample data is made from its variables). */
export interface FixState {
  back: BackTo;
  step?: Action | undefined;
}

/** The way back to `pathname` (plus `search`) and its history `state`. */
export function backTo(pathname: string, search: string, state: unknown): BackTo {
  const label = pathname.startsWith("/runs/")
    ? "Back to the run"
    : pathname.startsWith("/workflows/") || pathname === "/wizard/canvas"
      ? "Back to the workflow"
      : "Back";
  return { to: pathname + search, state, label };
}
