// The actions one can add: flow steps and every installed connector's actions.
import type { PaletteItem } from "../../workflow/catalogue";

export interface PaletteProps {
  items: PaletteItem[];
  onAdd: (item: PaletteItem) => void;
  /** Where an added action goes, as a person reads it. */
  target: string;
}

export function Palette({ items, onAdd, target }: PaletteProps) {
  const groups = [...new Set(items.map((item) => item.group))];
  return (
    <aside className="palette" aria-label="Palette">
      <h2>Add an action</h2>
      <p className="muted">Goes {target}.</p>
      {groups.map((group) => (
        <section key={group}>
          <h3>{group}</h3>
          {items
            .filter((item) => item.group === group)
            .map((item) => (
              <button key={item.key} type="button" className="palette-item" title={item.description} onClick={() => onAdd(item)} data-palette={item.key}>
                {item.label}
              </button>
            ))}
        </section>
      ))}
    </aside>
  );
}
