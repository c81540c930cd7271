// Where in the console a missing piece named by an error or warning is made: the API's
// message names its own call ("create it with POST /api/templates"), a person in the Studio
// wants the page, opened on the piece it names.

export interface Fix {
  to: string;
  label: string;
  /** Only admins reach the page (Governance → Secrets). */
  adminOnly: boolean;
}

type Maker = (name: string) => Fix;

const FIXES: [RegExp, Maker][] = [
  [/^message template '(.+?)' was not found/, (name) => ({
    to: `/governance/templates?new=${encodeURIComponent(name)}`, label: "Create it under Governance → Message templates", adminOnly: false,
  })],
  [/^secret '(.+?)' is not set/, (name) => ({
    to: `/governance/secrets?name=${encodeURIComponent(name)}`, label: "Store it under Governance → Secrets", adminOnly: true,
  })],
];

/** The page that makes what `message` says is missing, or null. */
export function fixFor(message: string): Fix | null {
  for (const [pattern, make] of FIXES) {
    const found = pattern.exec(message);
    if (found) return make(found[1]!);
  }
  return null;
}
