// Where in the console a warning's missing piece is made: the API's message names its own
// call ("create it with POST /api/templates"), a person in the Studio wants the page.

export interface WarningFix {
  to: string;
  label: string;
  /** Only admins reach the page (Governance → Secrets). */
  adminOnly: boolean;
}

const FIXES: [RegExp, WarningFix][] = [
  [/^message template '.+' was not found/, { to: "/governance/templates", label: "Create it under Governance → Templates", adminOnly: false }],
  [/^secret '.+' is not set/, { to: "/governance/secrets", label: "Store it under Governance → Secrets", adminOnly: true }],
];

export function warningFix(message: string): WarningFix | null {
  return FIXES.find(([pattern]) => pattern.test(message))?.[1] ?? null;
}
