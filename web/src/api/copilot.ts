// The copilot: `POST /api/copilot/draft` turns a sentence into a workflow document (not saved);
// `GET /api/copilot` says first whether it can (a model is configured).
import { useMutation, useQuery } from "@tanstack/react-query";
import { api } from "./client";
import type { components } from "./schema";

export type DraftIn = components["schemas"]["DraftIn"];
export type DraftRead = components["schemas"]["DraftRead"];
export type CopilotStatus = components["schemas"]["CopilotStatus"];

export function useCopilotStatus() {
  return useQuery({
    queryKey: ["copilot", "status"],
    queryFn: ({ signal }) => api<CopilotStatus>("GET", "/api/copilot", { signal }),
  });
}

export function useCopilotDraft() {
  return useMutation({
    mutationFn: (body: DraftIn) => api<DraftRead>("POST", "/api/copilot/draft", { body }),
  });
}
