// A labelled text input with the API's messages about it.
import { useId } from "react";
import { SuggestionList, type Suggestion } from "../../components/SuggestionList";

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
  /** Values offered as one types (a datalist); any other value may still be typed. */
  suggestions?: readonly Suggestion[] | undefined;
}

export function TextField({ label, value, onChange, readOnly = false, errors, hint, suggestions }: TextFieldProps) {
  const id = useId();
  const listId = suggestions?.length ? `${id}-suggestions` : undefined;
  return (
    <div className={`text-field${errors?.length ? " invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      <input id={id} value={value} readOnly={readOnly} onChange={(e) => onChange(e.target.value)} aria-invalid={Boolean(errors?.length)} list={listId} />
      {listId && suggestions && <SuggestionList id={listId} suggestions={suggestions} />}
      {hint && <div className="muted">{hint}</div>}
      <FieldProblems errors={errors} />
    </div>
  );
}
