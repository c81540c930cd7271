// A text box that narrows a list: its value applies when one presses Enter or leaves the box,
// not at each keystroke (the address and the API see whole words). Enter alone was a dead end:
// a newcomer typed a recipient, waited, and saw the list unchanged.
export interface FilterTextProps {
  label: string;
  name: string;
  value: string | undefined;
  placeholder: string;
  onApply: (value: string) => void;
}

export function FilterText({ label, name, value, placeholder, onApply }: FilterTextProps) {
  const apply = (text: string) => {
    const typed = text.trim();
    if (typed !== (value ?? "")) onApply(typed);
  };
  return (
    <label>
      {label}{" "}
      <input
        name={name}
        defaultValue={value}
        placeholder={placeholder}
        title="Applies when you press Enter or leave the box"
        onBlur={(e) => apply(e.currentTarget.value)}
        onKeyDown={(e) => e.key === "Enter" && apply(e.currentTarget.value)}
      />
    </label>
  );
}
