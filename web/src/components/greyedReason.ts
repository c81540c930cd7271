// The line under a greyed button: what is left to do before it works, in one sentence.

/** "To save the template, name it, and fill in the plain text." from the things still to do
 * (falsy ones are done); null when nothing is left and the button works. */
export function greyedReason(goal: string, toDo: readonly (string | false | null | undefined)[]): string | null {
  const left = toDo.filter((step): step is string => Boolean(step));
  if (left.length === 0) return null;
  const steps = left.length > 1 ? `${left.slice(0, -1).join(", ")}, and ${left.slice(-1).join("")}` : left.join("");
  const sentence = `To ${goal}, ${steps}`;
  // A step may end in a sentence of its own (a JSON parser's message): no second full stop.
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
