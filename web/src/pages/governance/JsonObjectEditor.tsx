// A JSON object an admin replaces whole, typed as text (the tenant's limits, its alert rules):
// Save is greyed, saying what the parser found, until the text is an object.
import { useId, useState, type ReactNode } from "react";
import type { UseMutationResult } from "@tanstack/react-query";
import { ErrorNotice } from "../../components/ErrorNotice";
import { GreyableButton } from "../../components/GreyableButton";
import { jsonText } from "../../components/JsonText";
import { parseJsonObject, unsavableJson } from "./json";

export interface JsonObjectEditorProps {
  /** What the object is, as Save names it: "alert rules" (Save alert rules). */
  name: string;
  /** The box's label: "Alert rules (JSON)". */
  label: string;
  /** The text the box starts with. */
  initial: unknown;
  /** What the object holds and what saving does, above the box. */
  help: ReactNode;
  save: UseMutationResult<unknown, Error, unknown>;
  /** Other commands, beside Save, and the error the last of them answered. */
  commands?: ReactNode;
  commandError?: Error | null;
}

export function JsonObjectEditor({ name, label, initial, help, save, commands, commandError = null }: JsonObjectEditorProps) {
  const [text, setText] = useState(() => jsonText(initial));
  const parsed = parseJsonObject(text);
  const unsavable = unsavableJson(`save the ${name}`, parsed.error);
  const boxId = useId();
  const reasonId = useId();
  return (
    <div className="limits-editor">
      <p className="muted">{help}</p>
      <label htmlFor={boxId} className="sr-only">{label}</label>
      <textarea id={boxId} className="json" rows={12} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      {unsavable && <p className="error-inline" id={reasonId}>{unsavable}</p>}
      <div className="toolbar">
        <GreyableButton className="primary" disabled={save.isPending} greyedBy={unsavable ? reasonId : undefined}
          onClick={() => save.mutate(parsed.value)}>{`Save ${name}`}</GreyableButton>
        {commands}
        {save.isSuccess && <span className="muted" role="status">Saved.</span>}
      </div>
      <ErrorNotice error={save.error ?? commandError} />
    </div>
  );
}
