// The wizard's "Describe your workflow" box: the copilot drafts a document from a sentence and
// the draft opens on the canvas, with what the model assumed beside it. Nothing is saved.
// With no model configured (automator dev's default) the box says so and links to the AI
// page that sets one, instead of taking a sentence it can only refuse: to an admin, with the
// API's reason (the settings it names are theirs to change); to an editor, who can change
// none of them, in plain words.
import { useId, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useCopilotDraft, useCopilotStatus } from "../../api/copilot";
import { ErrorNotice } from "../../components/ErrorNotice";
import { GreyableButton } from "../../components/GreyableButton";
import { useSession } from "../../components/SessionContext";

export function DescribeWorkflow() {
  const navigate = useNavigate();
  const [sentence, setSentence] = useState("");
  const draft = useCopilotDraft();
  const status = useCopilotStatus();
  const { canGovern } = useSession();
  const unready = status.data?.ready === false ? status.data.reason : null;
  const unreadyId = useId();
  const emptyId = useId();
  // Greyed by the missing model first (the note says how to set one up), else by the empty box.
  const greyedBy = unready ? unreadyId : sentence.trim() ? undefined : emptyId;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (greyedBy) return;
    draft.mutate({ prompt: sentence.trim() }, {
      onSuccess: (drafted) => navigate("/wizard/canvas", { state: { document: drafted.document, copilot: drafted } }),
    });
  };
  return (
    <form className="describe" onSubmit={submit} aria-busy={draft.isPending}>
      <fieldset>
        <legend>Describe your workflow</legend>
        <label htmlFor="wf-describe">What should happen, in a sentence</label>
        <textarea id="wf-describe" value={sentence} onChange={(e) => setSentence(e.target.value)} rows={3} required maxLength={4000}
          placeholder="When a high value order comes in, email the customer a thank-you and alert sales on Slack" disabled={Boolean(unready)} />
        {unready && (
          <p className="muted" role="note" id={unreadyId}>
            {canGovern ? (
              <>{unready}. <Link to="/governance/ai">Set up AI under Governance → AI</Link>; meanwhile, build it step by step below.</>
            ) : (
              <>The copilot has no AI model to draft with yet: an admin sets one up under{" "}
                <Link to="/governance/ai">Governance → AI</Link>. Meanwhile, build it step by step below.</>
            )}
          </p>
        )}
        {/* Greyed, not disabled (the focus stays), and a greyed submit still submits: checked above. */}
        <GreyableButton type="submit" className="primary" disabled={draft.isPending} greyedBy={greyedBy}>
          {draft.isPending ? "Drafting…" : "Draft it"}
        </GreyableButton>
        {greyedBy === emptyId && <p className="muted" id={emptyId}>To draft it, say what should happen in a sentence.</p>}
        <ErrorNotice error={draft.error} />
      </fieldset>
    </form>
  );
}
