// Workflow ids or tags typed into one box: neither holds a comma or a space, so both part them.

/** The names in `text`, each once, in order; none: null (no names, no limit). */
export function namesOf(text: string): string[] | null {
  const names = [...new Set(text.split(/[\s,]+/).filter(Boolean))];
  return names.length ? names : null;
}

/** What a box shows: what the person typed while it still reads as `names`, else `names`. */
export function namesText(typed: string, names: readonly string[] | undefined): string {
  const same = JSON.stringify(namesOf(typed) ?? []) === JSON.stringify(names ?? []);
  return same ? typed : (names ?? []).join(", ");
}
