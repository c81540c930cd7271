// A duration (an action's delay, an approval's or a wait's timeout) as a number and a unit
// ("5" "minutes"), written as the document holds it (seconds, or ISO 8601): a marketer who
// would type "5 minutes" picks it instead. One no unit holds (P1M, or text that is no
// duration) shows as the text it is, to be fixed there.
import { useId, useState, type ChangeEvent } from "react";
import type { WidgetProps } from "@rjsf/utils";
import { greyedControl } from "../../components/greyedControl";
import { DELAY_UNITS, readDelay, writeDelay, type DelayUnit } from "../../workflow/delay";
import { readOnlyNote } from "./ReadOnlyNote";
import { FieldProblems } from "./TextField";

type Duration = number | string | undefined;

export interface DurationInputProps {
  id: string;
  /** What is measured ("Delay"): its unit picker is named "<label> unit". */
  label: string;
  value: Duration;
  readOnly: boolean;
  invalid: boolean;
  onChange: (value: number | string) => void;
}

/** The amount and unit (or the text), without a label: the inspector's field and the data
 * form's widget each label it their own way. */
export function DurationInput({ id, label, value, readOnly, invalid, onChange }: DurationInputProps) {
  const read = readDelay(value);
  // A duration shown as text stays text while it is edited: turning into a picker at the
  // first digit would take the box, and the focus, from under the typing.
  const [asText] = useState(read === null);
  // What was typed, shown as typed (an emptied box stays empty rather than snap back to 0)
  // while the duration is still what it wrote.
  const [typed, setTyped] = useState<{ text: string; unit: DelayUnit; wrote: number | string } | null>(null);
  if (asText || !read) {
    return (
      <>
        <input id={id} value={String(value ?? "")} readOnly={readOnly} aria-invalid={invalid}
          onChange={(e) => onChange(/^\d+(\.\d+)?$/.test(e.target.value) ? Number(e.target.value) : e.target.value)} />
        <div className="muted">Seconds, or an ISO 8601 duration, e.g. 300 or PT5M</div>
      </>
    );
  }
  const shown = typed && typed.wrote === value ? typed : { text: String(read.amount), unit: read.unit };
  const write = (text: string, to: DelayUnit) => {
    const amount = text.trim() === "" ? 0 : Number(text);
    if (!Number.isFinite(amount)) return;
    const wrote = writeDelay(amount, to);
    setTyped({ text, unit: to, wrote });
    onChange(wrote);
  };
  return (
    <span className="inline">
      <input id={id} type="number" min={0} value={shown.text} readOnly={readOnly} aria-invalid={invalid}
        onChange={(e) => write(e.target.value, shown.unit)} />
      <select aria-label={`${label} unit`} value={shown.unit}
        {...greyedControl(readOnlyNote(readOnly), (e: ChangeEvent<HTMLSelectElement>) => write(shown.text, e.target.value as DelayUnit))}>
        {DELAY_UNITS.map((name) => <option key={name} value={name}>{name}</option>)}
      </select>
    </span>
  );
}

export interface DelayFieldProps {
  delay: Duration;
  readOnly: boolean;
  errors: string[] | undefined;
  onChange: (delay: number | string) => void;
}

/** An action's own delay, before it runs. */
export function DelayField({ delay, readOnly, errors, onChange }: DelayFieldProps) {
  const id = useId();
  return (
    <div className={`text-field${errors?.length ? " invalid" : ""}`}>
      <label htmlFor={id}>Delay</label>
      <DurationInput id={id} label="Delay" value={delay} readOnly={readOnly} invalid={Boolean(errors?.length)} onChange={onChange} />
      <div className="muted">How long to wait before this action (0: at once)</div>
      <FieldProblems errors={errors} />
    </div>
  );
}

/** The data form's widget for a field of format `duration` (an approval's or a wait's
 * timeout): the form around it gives the label, the description and the problems. */
export function DurationWidget({ id, label, value, readonly, disabled, rawErrors, onChange }: WidgetProps) {
  return (
    <DurationInput id={id} label={label} value={value as Duration} readOnly={Boolean(readonly || disabled)}
      invalid={Boolean(rawErrors?.length)} onChange={onChange} />
  );
}
