// An API error as the API worded it, each detail with the field it names.
import { ApiError } from "../api/client";

export function fieldName(loc: readonly (string | number)[]): string {
  const parts = loc[0] === "body" || loc[0] === "query" || loc[0] === "path" ? loc.slice(1) : loc;
  return parts.length ? parts.join(".") : "request";
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  if (!(error instanceof ApiError)) {
    return <div role="alert" className="error">{error instanceof Error ? error.message : String(error)}</div>;
  }
  return (
    <div role="alert" className="error">
      <strong>{error.message}</strong>
      {error.details.length > 0 && (
        <ul>
          {error.details.map((detail, i) => (
            <li key={i}>
              <code>{fieldName(detail.loc)}</code>: {detail.msg}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
