// What the copilot said of its draft: what the workflow does and what it assumed, to check
// before saving.
import type { DraftRead } from "../../api/copilot";

export function CopilotNotes({ draft }: { draft: Pick<DraftRead, "explanation" | "assumptions"> }) {
  return (
    <aside className="copilot-notes" aria-label="Copilot draft">
      <p><strong>Drafted by the copilot, not saved yet.</strong> {draft.explanation}</p>
      {draft.assumptions.length > 0 && (
        <>
          <p>It assumed:</p>
          <ul>{draft.assumptions.map((assumption, i) => <li key={i}>{assumption}</li>)}</ul>
        </>
      )}
    </aside>
  );
}
