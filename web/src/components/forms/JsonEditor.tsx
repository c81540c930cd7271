// Raw JSON editing (CodeMirror): edits stay local until applied; a parse error says where.
import { useEffect, useId, useState } from "react";
import CodeMirror from "@uiw/react-codemirror";
import { json } from "@codemirror/lang-json";
import { GreyableButton } from "../GreyableButton";

const EXTENSIONS = [json()];

export interface JsonEditorProps {
  value: unknown;
  readOnly?: boolean;
  onApply?: (value: unknown) => void;
  label: string;
}

export function JsonEditor({ value, readOnly = false, onApply, label }: JsonEditorProps) {
  const pretty = JSON.stringify(value, null, 2);
  const [text, setText] = useState(pretty);
  const [error, setError] = useState<string | null>(null);
  const reasonId = useId();
  const unchanged = text === pretty;
  useEffect(() => {
    setText(pretty);
    setError(null);
  }, [pretty]);
  const apply = () => {
    try {
      onApply?.(JSON.parse(text));
      setError(null);
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : String(cause));
    }
  };
  return (
    <div className="json-editor">
      <CodeMirror
        value={text}
        extensions={EXTENSIONS}
        editable={!readOnly}
        readOnly={readOnly}
        onChange={setText}
        basicSetup={{ foldGutter: true, highlightActiveLine: false }}
        aria-label={label}
        maxHeight="60vh"
      />
      {error && <div className="error" role="alert">Not valid JSON: {error}</div>}
      {!readOnly && onApply && (
        <>
          <GreyableButton onClick={apply} greyedBy={unchanged ? reasonId : undefined}>Apply JSON</GreyableButton>
          {unchanged && <span className="muted" id={reasonId}> Nothing to apply: edit the JSON first.</span>}
        </>
      )}
    </div>
  );
}
