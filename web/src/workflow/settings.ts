// A workflow's own settings the editor sets beside its trigger: its tags and its error
// workflow (`settings.on_failure.workflow_id`), each removed when empty.
import type { DocumentHead } from "./document";
import { namesOf } from "./names";

type OnFailure = { workflow_id?: string; actions?: unknown[] };

/** The head with the tags typed in `text` (none: no `tags` field). */
export function withTags(head: DocumentHead, text: string): DocumentHead {
  const { tags: _old, ...rest } = head;
  void _old;
  const tags = namesOf(text);
  return tags ? { ...rest, tags } : rest;
}

/** The error workflow a head names, or "" for none. */
export function errorWorkflowOf(head: DocumentHead): string {
  return (head.settings?.["on_failure"] as OnFailure | undefined)?.workflow_id ?? "";
}

/** The head starting `workflowId` when a run fails ("" for none), its on_failure actions kept. */
export function withErrorWorkflow(head: DocumentHead, workflowId: string): DocumentHead {
  const { on_failure: old, ...settings } = head.settings ?? {};
  const { workflow_id: _id, ...kept } = (old ?? {}) as OnFailure;
  void _id;
  const onFailure: OnFailure = workflowId ? { ...kept, workflow_id: workflowId } : kept;
  const next = Object.keys(onFailure).length ? { ...settings, on_failure: onFailure } : settings;
  const { settings: _settings, ...rest } = head;
  void _settings;
  return Object.keys(next).length ? { ...rest, settings: next } : rest;
}
