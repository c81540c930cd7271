// The copilot: `POST /api/copilot/draft` turns a sentence into a workflow document (not saved).
import { useMutation } from "@tanstack/react-query";
import { api } from "./client";
import type { components } from "./schema";

export type DraftIn = components["schemas"]["DraftIn"];
export type DraftRead = components["schemas"]["DraftRead"];

export function useCopilotDraft() {
  return useMutation({
    mutationFn: (body: DraftIn) => api<DraftRead>("POST", "/api/copilot/draft", { body }),
  });
}
