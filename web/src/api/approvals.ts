// Approvals a run waits at (an `approval` step): read one, approve or reject it with an
// optional comment. The run then goes on by itself, so its queries are asked again.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "./client";
import type { components } from "./schema";

export type Approval = components["schemas"]["ApprovalRead"];
export type Decision = "approve" | "reject";

const approvalPath = (id: string) => `/api/approvals/${encodeURIComponent(id)}`;
const approvalKey = (id: string) => ["approvals", id] as const;

export function useApproval(id: string) {
  return useQuery({
    queryKey: approvalKey(id),
    queryFn: ({ signal }) => api<Approval>("GET", approvalPath(id), { signal }),
  });
}

export function useDecide(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ decision, body }: { decision: Decision; body: { comment?: string } }) =>
      api<Approval>("POST", `${approvalPath(id)}/${decision}`, { body }),
    onSuccess: (approval) => {
      client.setQueryData(approvalKey(id), approval);
      return client.invalidateQueries({ queryKey: ["runs"] });
    },
  });
}
