// The four seed workflows (examples/workflows), bundled at build time as the wizard's templates.
import { parseJsonc, type WorkflowDocument } from "./document";

const FILES = import.meta.glob("../../../examples/workflows/*.json", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

export interface Template {
  file: string;
  document: WorkflowDocument;
}

export const TEMPLATES: Template[] = Object.entries(FILES)
  .map(([path, text]) => ({ file: path.split("/").pop() ?? path, document: parseJsonc(text) as WorkflowDocument }))
  .sort((a, b) => a.file.localeCompare(b.file));

/** The id a new workflow from template `id` starts with: the template's own while no workflow
 * of the tenant holds it, else the next free one counting from it (`welcome_campaign_001` →
 * `welcome_campaign_002`, keeping the digits' width; `cart_recovery` → `cart_recovery_2`), as
 * a person numbering their copies would. `taken`: every id the tenant holds, archived included
 * (an archived workflow keeps its id). */
export function freeIdFrom(id: string, taken: ReadonlySet<string>): string {
  if (!taken.has(id)) return id;
  const numbered = /^(.*?)(\d+)$/.exec(id);
  const stem = numbered ? numbered[1]! : `${id}_`;
  const width = numbered ? numbered[2]!.length : 1;
  for (let n = numbered ? Number(numbered[2]) + 1 : 2; ; n++) {
    const next = stem + String(n).padStart(width, "0");
    if (!taken.has(next)) return next;
  }
}
