// Values a text box offers as one types (a datalist): any other value may still be typed.
// A suggestion may carry a label saying where it comes from, shown beside its value.
export type Suggestion = string | { value: string; label: string };

export function SuggestionList({ id, suggestions }: { id: string; suggestions: readonly Suggestion[] }) {
  return (
    <datalist id={id}>
      {suggestions.map((one) => typeof one === "string"
        ? <option key={one} value={one} />
        : <option key={one.value} value={one.value} label={one.label} />)}
    </datalist>
  );
}
