// Checks the document against the API (POST /api/workflows/validate) shortly after each edit,
// and again each time the editor opens: its warnings also depend on the tenant's message
// templates, secrets and providers, which change on other pages (a warning's own link makes
// the template it names), so an answer kept for the page's life went stale.
import { useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { validateWorkflow } from "../../api/workflows";
import type { WorkflowDocument } from "../../workflow/document";

const PAUSE_MS = 500;

export function useLiveValidation(doc: WorkflowDocument) {
  const text = JSON.stringify(doc);
  const [settled, setSettled] = useState(text);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(text), PAUSE_MS);
    return () => clearTimeout(timer);
  }, [text]);
  return useQuery({
    queryKey: ["validate", settled],
    queryFn: () => validateWorkflow(JSON.parse(settled) as Record<string, unknown>),
    placeholderData: (previous) => previous,
  });
}
