// A labelled JSON text area that says when its text is not JSON.
import { useId } from "react";

export function parseJsonText(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (cause) {
    return { error: cause instanceof Error ? cause.message : String(cause) };
  }
}

export interface JsonFieldProps {
  label: string;
  text: string;
  onChange: (text: string) => void;
  rows?: number;
}

export function JsonField({ label, text, onChange, rows = 8 }: JsonFieldProps) {
  const id = useId();
  const { error } = parseJsonText(text);
  return (
    <div className={`text-field${error ? " invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      <textarea id={id} className="json" rows={rows} spellCheck={false} value={text} onChange={(e) => onChange(e.target.value)} aria-invalid={Boolean(error)} />
      {error && <div className="field-problems" role="alert">Not valid JSON: {error}</div>}
    </div>
  );
}
