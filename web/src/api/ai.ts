// The AI providers on Governance → AI: what the tenant's calls use now (its own configuration,
// else the deployment's; never a key), replacing or removing the tenant's own through
// `/api/integrations/ai`, and a test call through `POST /api/integrations/test` (of a form's
// configuration before it is saved, or of the one in use).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];
export type AiProvidersRead = Schemas["AiProvidersRead"];
export type AiProviderRead = Schemas["AiProviderRead"];
export type IntegrationTestResult = Schemas["IntegrationTestResult"];

/** What a test asks the model: a short answer, so a real provider spends next to nothing. */
export const TEST_CALL: Schemas["IntegrationTest"] = {
  integration: "ai",
  action: "ai_task",
  data: { prompt_template: "Reply with the word OK.", parameters: { max_tokens: 16 } },
};

// The copilot's readiness follows the providers: a change refreshes both.
const AFFECTED = [["ai"], ["copilot"]] as const;

export function useAiProviders(enabled: boolean) {
  return useQuery({
    queryKey: ["ai", "providers"],
    queryFn: ({ signal }) => api<AiProvidersRead>("GET", "/api/integrations/ai/providers", { signal }),
    enabled,
  });
}

function useAiCommand<In>(run: (input: In) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: () => Promise.all(AFFECTED.map((queryKey) => client.invalidateQueries({ queryKey }))),
  });
}

export function usePutAi() {
  return useAiCommand((config: Record<string, unknown>) => api("PUT", "/api/integrations/ai", { body: { config } }));
}

export function useDeleteAi() {
  return useAiCommand(() => api<void>("DELETE", "/api/integrations/ai"));
}

/** A test call of `config` when given (a form's, not saved yet), else of the providers in use. */
export function useTestAi() {
  return useMutation({
    mutationFn: (config: Record<string, unknown> | undefined) =>
      api<IntegrationTestResult>("POST", "/api/integrations/test", { body: config ? { ...TEST_CALL, config } : TEST_CALL }),
  });
}
