// The tenant's settings: four-eyes publishing and how many days each kind of record is kept
// (everyone reads; admins change them).
import { useId, useState, type ChangeEvent, type FormEvent } from "react";
import { usePutRetention, usePutTenantSettings, useRetention, useTenantSettings, type RetentionRead } from "../../api/governance";
import { ErrorNotice } from "../../components/ErrorNotice";
import { GreyableButton } from "../../components/GreyableButton";
import { greyedControl } from "../../components/greyedControl";

type Kind = keyof RetentionRead;

const KINDS: readonly { kind: Kind; label: string }[] = [
  { kind: "events_days", label: "Events" },
  { kind: "runs_days", label: "Finished runs" },
  { kind: "outbox_days", label: "Outbox messages" },
  { kind: "audit_days", label: "Audit entries" },
];
const MAX_DAYS = 36_500;

export type RetentionForm = Record<Kind, string>;

/** The days as the form shows them: none (kept for ever) as an empty box. */
export function retentionForm(retention: RetentionRead): RetentionForm {
  const shown = (days: number | null) => (days === null ? "" : String(days));
  return {
    events_days: shown(retention.events_days),
    runs_days: shown(retention.runs_days),
    outbox_days: shown(retention.outbox_days),
    audit_days: shown(retention.audit_days),
  };
}

/** The retention a filled-in form asks for (an empty box: for ever), or what to fix. */
export function retentionBody(form: RetentionForm): { body: RetentionRead | null; error: string | null } {
  const body: RetentionRead = { events_days: null, runs_days: null, outbox_days: null, audit_days: null };
  for (const { kind, label } of KINDS) {
    const text = form[kind].trim();
    if (!text) continue;
    const days = Number(text);
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
      return { body: null, error: `${label}: a whole number of days from 1 to ${MAX_DAYS.toLocaleString("en")}, or empty to keep them for ever.` };
    }
    body[kind] = days;
  }
  return { body, error: null };
}

export function SettingsPanel({ canConfigure }: { canConfigure: boolean }) {
  const noteId = useId();
  // Others see every setting as it is, greyed and described by the note saying why.
  const greyedBy = canConfigure ? undefined : noteId;
  return (
    <section aria-label="Tenant settings">
      {!canConfigure && <p className="muted" id={noteId}>Only admins change the tenant's settings: your key reads them.</p>}
      <FourEyes greyedBy={greyedBy} />
      <Retention greyedBy={greyedBy} />
    </section>
  );
}

/** `greyedBy`: the id of the note saying why the settings cannot be changed; unset, they can. */
interface Greyable {
  greyedBy: string | undefined;
}

function FourEyes({ greyedBy }: Greyable) {
  const settings = useTenantSettings();
  const save = usePutTenantSettings();
  // The box shows a change from the click until the answer, not the value it replaces. Kept
  // in state set by the click itself: the mutation's pending state reaches React a tick
  // later, and in between React would put the box back as the old settings have it.
  const [asked, setAsked] = useState<boolean | null>(null);
  const on = asked ?? settings.data?.four_eyes_publishing ?? false;
  const change = (wanted: boolean) => {
    setAsked(wanted);
    save.mutate({ ...settings.data, four_eyes_publishing: wanted }, { onSettled: () => setAsked(null) });
  };
  return (
    <div role="group" aria-label="Publishing">
      <h2>Publishing</h2>
      <ErrorNotice error={settings.error ?? save.error} />
      {settings.data && (
        <label>
          <input type="checkbox" checked={on} disabled={save.isPending}
            {...greyedControl(greyedBy, (e: ChangeEvent<HTMLInputElement>) => change(e.target.checked))} />
          {" "}Four-eyes publishing
        </label>
      )}
      <p className="muted">
        {on
          ? "On: a version one API key publishes waits until another key approves it; runs keep the active version until then."
          : "Off: a version is active as soon as it is published."}
        {save.isSuccess && <span role="status"> Saved.</span>}
      </p>
    </div>
  );
}

function Retention({ greyedBy }: Greyable) {
  const retention = useRetention();
  // Held here, not in the editor: a save refetches the retention, the editor starts again
  // from the saved days, and its "Saved." must outlive that.
  const save = usePutRetention();
  return (
    <div>
      <h2>Data retention</h2>
      <p className="muted">Days each kind of record is kept; the hourly retention job purges older ones. Empty: kept for ever.</p>
      <ErrorNotice error={retention.error} />
      {retention.data && <RetentionEditor key={JSON.stringify(retention.data)} initial={retention.data} greyedBy={greyedBy} save={save} />}
    </div>
  );
}

function RetentionEditor({ initial, greyedBy, save }: Greyable & {
  initial: RetentionRead;
  save: ReturnType<typeof usePutRetention>;
}) {
  const [form, setForm] = useState(() => retentionForm(initial));
  const { body, error } = retentionBody(form);
  const reasonId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (body) save.mutate(body);
  };
  return (
    <form onSubmit={submit} aria-label="Data retention">
      <div className="filters">
        {KINDS.map(({ kind, label }) => (
          <label key={kind}>{label} (days)
            <input inputMode="numeric" value={form[kind]} readOnly={greyedBy !== undefined} aria-describedby={greyedBy} placeholder="for ever"
              onChange={(e) => setForm((before) => ({ ...before, [kind]: e.target.value }))} />
          </label>
        ))}
      </div>
      {error && <p className="error-inline" id={reasonId}>{error}</p>}
      {greyedBy === undefined && (
        <div className="toolbar">
          {/* Greyed, not disabled (the focus stays), and a greyed submit still submits: checked above. */}
          <GreyableButton type="submit" className="primary" disabled={save.isPending} greyedBy={error ? reasonId : undefined}>Save retention</GreyableButton>
          {save.isSuccess && <span className="muted" role="status">Saved.</span>}
        </div>
      )}
      <ErrorNotice error={save.error} />
    </form>
  );
}
