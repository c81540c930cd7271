// The message templates a sample event reads (workflow/sample.ts), loaded before the panel
// that makes one: the Test tab and the Rule Tester start from the same event.
import type { ReactNode } from "react";
import { useTemplates } from "../../api/governance";
import type { TemplateText } from "../../workflow/sample";

export function WithTemplates({ children }: { children: (templates: readonly TemplateText[]) => ReactNode }) {
  const templates = useTemplates();
  if (templates.isPending) return <p className="muted">Loading the message templates…</p>;
  return children(templates.data?.items ?? []);
}
