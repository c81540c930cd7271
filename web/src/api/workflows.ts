// Workflow queries and commands, on the one react-query cache.
import { useMemo } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "./client";
import type { components } from "./schema";

export type WorkflowSummary = components["schemas"]["WorkflowSummary"];
export type WorkflowRead = components["schemas"]["WorkflowRead"];
export type WorkflowSaved = components["schemas"]["WorkflowSaved"];
export type ImportReport = components["schemas"]["ImportReport"];
export type ImportItem = components["schemas"]["ImportItem"];
export type VersionSummary = components["schemas"]["VersionSummary"];
export type VersionRead = components["schemas"]["VersionRead"];
export type ValidationResult = components["schemas"]["ValidationResult"];
export type PendingApproval = components["schemas"]["PendingRead"];
export type PublishDecision = "approve" | "reject";

export const workflowKeys = {
  all: ["workflows"] as const,
  list: (archived: boolean, tag: string | null) => ["workflows", "list", archived, tag] as const,
  one: (id: string) => ["workflows", "one", id] as const,
  versions: (id: string) => ["workflows", "one", id, "versions"] as const,
  version: (id: string, version: number) => ["workflows", "one", id, "versions", version] as const,
};

const path = (id: string) => `/api/workflows/${encodeURIComponent(id)}`;

/** The tenant's workflows (those carrying ``tag`` if given). */
export function useWorkflowList(includeArchived: boolean, tag: string | null = null) {
  return useQuery({
    queryKey: workflowKeys.list(includeArchived, tag),
    queryFn: ({ signal }) =>
      api<components["schemas"]["WorkflowList"]>("GET", "/api/workflows", {
        query: { include_archived: includeArchived, limit: 500, ...(tag === null ? {} : { tag }) },
        signal,
      }),
  });
}

/** Each workflow's name by its id, archived ones included (a run keeps naming its workflow once
 * it is archived): the one lookup of the pages that show a workflow where people look for its
 * name. An id the list lacks (not loaded yet, deleted) has none: shown as the id. */
export function useWorkflowNames(): ReadonlyMap<string, string> {
  const list = useWorkflowList(true);
  return useMemo(() => new Map(list.data?.items.map((one) => [one.workflow_id, one.name])), [list.data]);
}

export interface WorkflowOption {
  id: string;
  label: string;
}

/** A picker's options for the workflows `ids`, by name: a name two of them share, or none,
 * carries the id, which tells them apart. Sorted by what they read. */
export function workflowOptions(ids: readonly string[], names: ReadonlyMap<string, string>): WorkflowOption[] {
  const counts = new Map<string, number>();
  for (const id of ids) {
    const name = names.get(id);
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const label = (id: string) => {
    const name = names.get(id);
    if (!name) return id;
    return counts.get(name) === 1 ? name : `${name} (${id})`;
  };
  return ids.map((id) => ({ id, label: label(id) })).sort((a, b) => a.label.localeCompare(b.label));
}

export function useWorkflow(id: string) {
  return useQuery({
    queryKey: workflowKeys.one(id),
    queryFn: ({ signal }) => api<WorkflowRead>("GET", path(id), { signal }),
  });
}

export function useVersions(id: string) {
  return useQuery({
    queryKey: workflowKeys.versions(id),
    queryFn: ({ signal }) => api<VersionSummary[]>("GET", `${path(id)}/versions`, { signal }),
  });
}

export function fetchVersion(id: string, version: number, signal?: AbortSignal) {
  return api<VersionRead>("GET", `${path(id)}/versions/${version}`, { signal });
}

export type HeadCommand = "enable" | "disable" | "archive";

/** Enable, disable or archive a workflow; every workflow query is refreshed after. */
export function useHeadCommand() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, command }: { id: string; command: HeadCommand }): Promise<void> => {
      if (command === "archive") await api<void>("DELETE", path(id));
      else await api<WorkflowRead>("POST", `${path(id)}/${command}`);
    },
    onSuccess: () => client.invalidateQueries({ queryKey: workflowKeys.all }),
  });
}

export function useImport() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (files: File[]) => {
      const form = new FormData();
      for (const file of files) form.append("files", file, file.name);
      return api<ImportReport>("POST", "/api/workflows/import", { body: form });
    },
    onSuccess: () => client.invalidateQueries({ queryKey: workflowKeys.all }),
  });
}

export function exportWorkflow(id: string) {
  return api<Record<string, unknown>>("GET", `${path(id)}/export`);
}

export function exportAll() {
  return api<Record<string, unknown>[]>("GET", "/api/workflows/export");
}

/** Saves a new version (published or a draft); a new id creates the workflow. */
export function saveWorkflow(document: Record<string, unknown>, isNew: boolean, publish: boolean) {
  const id = String(document["workflow_id"] ?? "");
  return isNew
    ? api<WorkflowSaved>("POST", "/api/workflows", { body: document, query: { publish } })
    : api<WorkflowSaved>("PUT", path(id), { body: document, query: { publish } });
}

/** What a save did, in words, and how many of its steps would fail if a run reached them now
 * (the save's warnings, those validate gives): the save stands either way. */
export function saveOutcome(result: WorkflowSaved, publish: boolean): string {
  const outcome = publish ? publishOutcome(result) : `Saved draft version ${result.latest_version}`;
  return outcome + wouldFail(result.warnings.length);
}

/** One imported file's result, in words: what it made of which workflow, and how many of that
 * workflow's steps would fail now, as a save says (the import stands either way). */
export function importOutcome(item: ImportItem): string {
  const made = item.workflow_id === null ? "" : ` — ${item.workflow_id} v${item.version}`;
  return `${item.source}: ${item.status}${made}${wouldFail(item.warnings?.length ?? 0)}`;
}

function wouldFail(count: number): string {
  if (count === 0) return "";
  return `; ${count} step${count === 1 ? "" : "s"} would fail if a run reached ${count === 1 ? "it" : "them"} now`;
}

/** What a publish did, in words: the version is active, or waits for another key's approval
 * (four-eyes publishing). */
export function publishOutcome(result: WorkflowRead): string {
  const pending = result.pending_approval;
  if (pending !== null && pending.version === result.version) {
    return `Version ${pending.version} is waiting for approval by another key`;
  }
  return `Published version ${result.version} (active)`;
}

/** Approve or reject the version waiting for another key's approval. */
export function decideVersion(id: string, version: number, decision: PublishDecision) {
  return api<WorkflowRead>("POST", `${path(id)}/versions/${version}/${decision}`);
}

export function publishVersion(id: string, version: number) {
  return api<WorkflowRead>("POST", `${path(id)}/versions/${version}/publish`);
}

export function validateWorkflow(document: Record<string, unknown>) {
  return api<ValidationResult>("POST", "/api/workflows/validate", { body: document });
}

export type StatsReport = components["schemas"]["StatsReport"];

/** Per-workflow run metrics over the last `period` (24h for the list). */
export function useStats(period: string) {
  return useQuery({
    queryKey: ["stats", period] as const,
    queryFn: ({ signal }) => api<StatsReport>("GET", "/api/stats", { query: { period }, signal }),
    refetchInterval: 30_000,
  });
}
