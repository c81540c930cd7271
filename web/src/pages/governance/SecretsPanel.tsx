// Stored secrets by name: values masked (the API never sends one back, and this page shows
// the mask whatever it gets), created and rotated times, rotate, delete, add.
import { useId, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { useDeleteSecret, usePutSecret, useRotateSecret, useSecrets, type SecretRead } from "../../api/governance";
import { ErrorNotice } from "../../components/ErrorNotice";
import { greyedReason } from "../../components/greyedReason";
import { GreyableButton } from "../../components/GreyableButton";
import { when } from "../../components/time";
import { MASK } from "./mask";
import { TableScroll } from "../../components/TableScroll";

export function SecretsPanel() {
  const secrets = useSecrets();
  return (
    <section aria-label="Secrets">
      <p className="muted">Workflows refer to a secret as <code>{'{"$secret": "NAME"}'}</code>. A value goes in and never comes out.</p>
      <ErrorNotice error={secrets.error} />
      {secrets.data && secrets.data.length === 0 && <p>No secrets stored.</p>}
      {secrets.data && secrets.data.length > 0 && (
        <TableScroll label="Stored secrets">
          <table className="workflows">
            <thead><tr><th>Name</th><th>Value</th><th>Created</th><th>Rotated</th><th><span className="sr-only">Commands</span></th></tr></thead>
            <tbody>{secrets.data.map((secret) => <SecretRow key={secret.name} secret={secret} />)}</tbody>
          </table>
        </TableScroll>
      )}
      <AddSecret />
    </section>
  );
}

/** Why Store secret is greyed, in words (null: it stores). */
export function unstorableBecause(name: string, value: string): string | null {
  return greyedReason("store the secret", [!name.trim() && "name it", !value && "type its value"]);
}

function SecretRow({ secret }: { secret: SecretRead }) {
  const [rotating, setRotating] = useState(false);
  const [value, setValue] = useState("");
  const [confirming, setConfirming] = useState(false);
  const rotate = useRotateSecret();
  const remove = useDeleteSecret();
  const reasonId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!value) return;
    rotate.mutate({ name: secret.name, value }, { onSuccess: () => { setRotating(false); setValue(""); } });
  };
  return (
    <tr data-secret={secret.name}>
      <td><code>{secret.name}</code>{secret.shadowed_by_env && <div className="muted">the environment's AUTOMATOR_SECRET_{secret.name} is used instead</div>}</td>
      <td><code className="masked">{MASK}</code></td>
      <td>{when(secret.created_at)}</td>
      <td>{secret.rotated_at ? when(secret.rotated_at) : <span className="muted">never</span>}</td>
      <td>
        {rotating ? (
          <form className="inline" onSubmit={submit}>
            <label className="sr-only" htmlFor={`rotate-${secret.name}`}>New value of {secret.name}</label>
            <input id={`rotate-${secret.name}`} type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} placeholder="new value" />
            {/* Greyed, not disabled (the focus stays), and a greyed submit still submits: checked above. */}
            <GreyableButton type="submit" className="primary" disabled={rotate.isPending} greyedBy={value ? undefined : reasonId}>Save new value</GreyableButton>
            <button type="button" onClick={() => { setRotating(false); setValue(""); }}>Cancel</button>
            {!value && <span className="muted" id={reasonId}>Type the new value to save it.</span>}
          </form>
        ) : (
          <div className="commands">
            <button type="button" onClick={() => setRotating(true)}>Rotate</button>
            {confirming ? (
              <>
                <button type="button" className="danger" onClick={() => remove.mutate(secret.name)}>Delete {secret.name} for good</button>
                <button type="button" onClick={() => setConfirming(false)}>Keep</button>
              </>
            ) : (
              <button type="button" className="danger" onClick={() => setConfirming(true)}>Delete</button>
            )}
          </div>
        )}
        {rotate.isSuccess && !rotating && <span className="muted" role="status">Rotated.</span>}
        <ErrorNotice error={rotate.error ?? remove.error} />
      </td>
    </tr>
  );
}

function AddSecret() {
  // ?name=NAME: a link from a workflow or run that names a secret not stored yet.
  const wanted = useSearchParams()[0].get("name") ?? "";
  const [name, setName] = useState(wanted);
  const [value, setValue] = useState("");
  const put = usePutSecret();
  const unstorable = unstorableBecause(name, value);
  const reasonId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (unstorable) return;
    put.mutate({ name: name.trim(), value }, { onSuccess: () => { setName(""); setValue(""); } });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Store a secret">
      <label>Name<input value={name} onChange={(e) => setName(e.target.value.toUpperCase())} placeholder="SENDGRID_API_KEY" /></label>
      <label>Value<input type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} /></label>
      {/* Greyed, not disabled (the focus stays), and a greyed submit still submits: checked above. */}
      <GreyableButton type="submit" disabled={put.isPending} greyedBy={unstorable ? reasonId : undefined}>Store secret</GreyableButton>
      {unstorable && <p className="muted" id={reasonId}>{unstorable}</p>}
      <ErrorNotice error={put.error} />
    </form>
  );
}
