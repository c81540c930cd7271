// The installed connectors and their actions' JSON Schemas (GET /api/connectors).
import { useQuery } from "@tanstack/react-query";
import { api } from "./client";
import type { components } from "./schema";

export type Connector = components["schemas"]["ConnectorRead"];
export type ConnectorAction = components["schemas"]["ConnectorAction"];

export function useConnectors() {
  return useQuery({
    queryKey: ["connectors"] as const,
    queryFn: ({ signal }) => api<Connector[]>("GET", "/api/connectors", { signal }),
    staleTime: 5 * 60_000,
  });
}
