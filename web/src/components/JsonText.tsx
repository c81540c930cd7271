// Event data, step input and output shown as indented JSON text: React escapes it, so data
// holding markup (`<script>`) shows as the characters it is.
export function jsonText(value: unknown): string {
  if (value === undefined) return "";
  return JSON.stringify(value, null, 2) ?? String(value);
}

export function JsonText({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre className="json" aria-label={label}>
      {jsonText(value)}
    </pre>
  );
}
