// An API error as the API worded it, each detail with the field it names.
import { ApiError } from "../api/client";

export function fieldName(loc: readonly (string | number)[]): string {
  const parts = loc[0] === "body" || loc[0] === "query" || loc[0] === "path" ? loc.slice(1) : loc;
  return parts.length ? parts.join(".") : "request";
}

/** The details that say more than the message: one the message reads as or quotes (its
 * field, then the same words: a 422's "The request is not valid: body.x: ..." quotes its first)
 * only repeated it under it. */
export function moreThan(message: string, details: ApiError["details"]): ApiError["details"] {
  const quotes = (text: string) =>
    message === text || message.endsWith(`: ${text}`) || message.includes(`: ${text} (and `);
  return details.filter((detail) => {
    const said = [fieldName(detail.loc), detail.loc.join(".")].map((field) => `${field}: ${detail.msg}`);
    return !said.some(quotes);
  });
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  if (!(error instanceof ApiError)) {
    return <div role="alert" className="error">{error instanceof Error ? error.message : String(error)}</div>;
  }
  const details = moreThan(error.message, error.details);
  return (
    <div role="alert" className="error">
      <strong>{error.message}</strong>
      {details.length > 0 && (
        <ul>
          {details.map((detail, i) => (
            <li key={i}>
              <code>{fieldName(detail.loc)}</code>: {detail.msg}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
