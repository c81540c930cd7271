// A run's variables (`vars`, what `{{ vars.* }}` reads), for everyone; admins and editors set
// a value (as JSON) or remove one while the run is paused or waiting. On a run in any other
// state Set and Remove are greyed, described by why; a run that moved on meanwhile gets the
// service's 409, and its message shows here.
import { useId, useState, type FormEvent } from "react";
import { useSetVariables, type RunRead } from "../../api/runs";
import { ErrorNotice } from "../../components/ErrorNotice";
import { GreyableButton } from "../../components/GreyableButton";
import { TableScroll } from "../../components/TableScroll";
import { compact, parseValue, variablesChange } from "./variables";

export function RunVariables({ run, canChange }: { run: RunRead; canChange: boolean }) {
  const change = useSetVariables(run.run_id);
  const [name, setName] = useState("");
  const [text, setText] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const reasonId = useId();
  // Greyed, not disabled (the focus stays), and a greyed submit still submits: checked here.
  const greyedBy = variablesChange(run.status) ? undefined : reasonId;
  const send = (changes: Record<string, unknown>, said: string) => {
    setSaved(null);
    change.mutate(changes, { onSuccess: () => setSaved(said) });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (greyedBy) return;
    const parsed = parseValue(text);
    setInvalid(parsed.ok ? null : parsed.error);
    if (parsed.ok) send({ [name.trim()]: parsed.value }, `${name.trim()} set.`);
  };
  const edit = (variable: string) => {
    setName(variable);
    setText(JSON.stringify(run.vars[variable], null, 2));
  };
  const names = Object.keys(run.vars).sort();
  return (
    <section className="card run-variables" aria-label="Variables">
      <h2>Variables</h2>
      {names.length === 0 && <p className="muted">No variables.</p>}
      {names.length > 0 && (
        <TableScroll label="Names and values">
          <table className="variables">
            <tbody>
              {names.map((variable) => (
                <tr key={variable} data-variable={variable}>
                  <td><code>{variable}</code></td>
                  <td><code>{compact(run.vars[variable])}</code></td>
                  {canChange && (
                    <td>
                      <button type="button" onClick={() => edit(variable)} aria-label={`Edit ${variable}`}>Edit</button>{" "}
                      <GreyableButton className="danger" disabled={change.isPending} aria-label={`Remove ${variable}`}
                        greyedBy={greyedBy} onClick={() => send({ [variable]: null }, `${variable} removed.`)}>Remove</GreyableButton>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {canChange && (
        <form className="variable-form" onSubmit={submit} aria-label="Set a variable">
          {greyedBy && (
            <p className="muted" id={reasonId}>Variables change while a run is paused or waiting; this run is {run.status}.</p>
          )}
          <label>Name <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="discount_code" /></label>
          <label>Value (JSON) <textarea value={text} onChange={(e) => setText(e.target.value)} rows={2} placeholder='"WELCOME10"' /></label>
          <GreyableButton type="submit" className="primary" disabled={change.isPending} greyedBy={greyedBy}>Set</GreyableButton>
          {invalid && <div role="alert" className="error">{invalid}</div>}
        </form>
      )}
      <ErrorNotice error={change.error} />
      {saved && !change.error && <p className="muted" role="status">Saved: {saved}</p>}
    </section>
  );
}
