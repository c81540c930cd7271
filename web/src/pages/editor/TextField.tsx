// A labelled text input with the API's messages about it.
import { useId } from "react";

export function FieldProblems({ errors }: { errors: string[] | undefined }) {
  if (!errors?.length) return null;
  return (
    <ul className="field-problems" role="alert">
      {errors.map((e, i) => <li key={i}>{e}</li>)}
    </ul>
  );
}

export interface TextFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  readOnly?: boolean;
  errors?: string[] | undefined;
  hint?: string;
}

export function TextField({ label, value, onChange, readOnly = false, errors, hint }: TextFieldProps) {
  const id = useId();
  return (
    <div className={`text-field${errors?.length ? " invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      <input id={id} value={value} readOnly={readOnly} onChange={(e) => onChange(e.target.value)} aria-invalid={Boolean(errors?.length)} />
      {hint && <div className="muted">{hint}</div>}
      <FieldProblems errors={errors} />
    </div>
  );
}
