// The rule tester and the whole-workflow dry run.
import { api } from "./client";
import type { components } from "./schema";

export type RulesTestResult = components["schemas"]["RulesTestResult"];
export type WorkflowTestResult = components["schemas"]["WorkflowTestResult"];

export function testRules(conditions: unknown, payload: unknown) {
  return api<RulesTestResult>("POST", "/api/rules/test", { body: { conditions, payload } });
}

export function testWorkflow(workflowId: string, event: { type: string; user: unknown; data: unknown }) {
  return api<WorkflowTestResult>("POST", `/api/workflows/${encodeURIComponent(workflowId)}/test`, { body: { event } });
}
