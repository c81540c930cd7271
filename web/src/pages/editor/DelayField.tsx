// An action's delay as a number and a unit ("5" "minutes"), written as the document holds it
// (seconds, or ISO 8601): a marketer who would type "5 minutes" picks it instead. A delay no
// unit holds (P1M, or text that is no duration) shows as the text it is, to be fixed there.
import { useId, useState, type ChangeEvent } from "react";
import { greyedControl } from "../../components/greyedControl";
import { DELAY_UNITS, readDelay, writeDelay, type DelayUnit } from "../../workflow/delay";
import { readOnlyNote } from "./ReadOnlyNote";
import { FieldProblems, TextField } from "./TextField";

export interface DelayFieldProps {
  delay: number | string | undefined;
  readOnly: boolean;
  errors: string[] | undefined;
  onChange: (delay: number | string) => void;
}

export function DelayField({ delay, readOnly, errors, onChange }: DelayFieldProps) {
  const id = useId();
  const read = readDelay(delay);
  // A delay shown as text stays text while it is edited: turning into a picker at the first
  // digit would take the box, and the focus, from under the typing.
  const [asText] = useState(read === null);
  // What was typed, shown as typed (an emptied box stays empty rather than snap back to 0)
  // while the delay is still what it wrote.
  const [typed, setTyped] = useState<{ text: string; unit: DelayUnit; wrote: number | string } | null>(null);
  if (asText || !read) {
    return (
      <TextField label="Delay" value={String(delay)} readOnly={readOnly} errors={errors}
        hint="Seconds, or an ISO 8601 duration, e.g. 300 or PT5M, before this action"
        onChange={(v) => onChange(/^\d+(\.\d+)?$/.test(v) ? Number(v) : v)} />
    );
  }
  const shown = typed && typed.wrote === delay ? typed : { text: String(read.amount), unit: read.unit };
  const write = (text: string, to: DelayUnit) => {
    const value = text.trim() === "" ? 0 : Number(text);
    if (!Number.isFinite(value)) return;
    const wrote = writeDelay(value, to);
    setTyped({ text, unit: to, wrote });
    onChange(wrote);
  };
  return (
    <div className={`text-field${errors?.length ? " invalid" : ""}`}>
      <label htmlFor={id}>Delay</label>
      <span className="inline">
        <input id={id} type="number" min={0} value={shown.text} readOnly={readOnly} aria-invalid={Boolean(errors?.length)}
          onChange={(e) => write(e.target.value, shown.unit)} />
        <select aria-label="Delay unit" value={shown.unit}
          {...greyedControl(readOnlyNote(readOnly), (e: ChangeEvent<HTMLSelectElement>) => write(shown.text, e.target.value as DelayUnit))}>
          {DELAY_UNITS.map((name) => <option key={name} value={name}>{name}</option>)}
        </select>
      </span>
      <div className="muted">How long to wait before this action (0: at once)</div>
      <FieldProblems errors={errors} />
    </div>
  );
}
