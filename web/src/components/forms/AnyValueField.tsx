// rjsf's field for a schema that names no type (a webhook's `json` body, a transform's
// `input`): one text box of JSON or text (anyValue.ts), in place of rjsf's "Unsupported
// field schema" notice.
import { useState } from "react";
import type { FieldProps } from "@rjsf/utils";
import { textOfValue, valueOfText } from "./anyValue";

const HINT = 'JSON ({"plan": "{{ plan }}"}, [1, 2], true) or text';

export function AnyValueField({ formData, onChange, fieldPathId, readonly, disabled }: FieldProps) {
  // The text as typed: `{"a": 1` stays as typed until it is JSON, not reformatted under the
  // cursor. A value changed elsewhere (the JSON tab, another node) replaces it.
  const [typed, setTyped] = useState({ text: textOfValue(formData), value: formData as unknown });
  if (JSON.stringify(typed.value) !== JSON.stringify(formData)) {
    setTyped({ text: textOfValue(formData), value: formData });
  }
  const change = (text: string) => {
    const value = valueOfText(text);
    setTyped({ text, value });
    onChange(value, fieldPathId.path);
  };
  return (
    <>
      <textarea id={fieldPathId.$id} className="json" rows={4} spellCheck={false} value={typed.text}
        readOnly={readonly} disabled={disabled} onChange={(e) => change(e.target.value)} />
      <p className="field-description">{HINT}</p>
    </>
  );
}
