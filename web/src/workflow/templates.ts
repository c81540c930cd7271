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
