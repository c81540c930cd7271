// Why the inspector's fields cannot be changed, for a key whose role only reads workflows: the
// fields it greys are described by this note (READ_ONLY_NOTE), which the inspector shows once.
import type { Role } from "../../api/session";

export const READ_ONLY_NOTE = "read-only-note";

export function ReadOnlyNote({ role }: { role: Role }) {
  return (
    <p id={READ_ONLY_NOTE} className="note">
      Read only: a key with the {role} role reads workflows; an admin's or an editor's key changes them.
    </p>
  );
}

/** The id a field's greyed control is described by when `readOnly`; unset, it works. */
export function readOnlyNote(readOnly: boolean): string | undefined {
  return readOnly ? READ_ONLY_NOTE : undefined;
}
