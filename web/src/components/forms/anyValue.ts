// A value of any JSON type typed into one text box: JSON where the text is JSON (100, true,
// ["a","b"], {"plan": "{{ plan }}"}), else the text itself. A string that reads as JSON is
// shown quoted, so that showing it and reading it back keeps it a string.

/** The text a box shows for `value` ("" for none). */
export function textOfValue(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return valueOfText(value) === value ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

/** The value `text` holds: undefined when empty, JSON when it parses, else the text. */
export function valueOfText(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
