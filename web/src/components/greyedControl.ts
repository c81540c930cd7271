// A form control greyed out while saying why, as GreyableButton greys a button.
import type { ChangeEvent } from "react";

type Control = HTMLInputElement | HTMLSelectElement;

/** The props of a checkbox or a select that may be greyed: `greyedBy` is the id of the text
 * saying why it cannot be changed now (unset: it works). Greyed, it is aria-disabled, not
 * disabled: a disabled control takes no focus, so a keyboard or screen-reader user would
 * never reach its value or the reason. Its changes are dropped, and React puts its value back. */
export function greyedControl<E extends Control>(greyedBy: string | undefined, onChange: (event: ChangeEvent<E>) => void) {
  const greyed = greyedBy !== undefined;
  return {
    "aria-disabled": greyed || undefined,
    "aria-describedby": greyedBy,
    onChange: greyed ? () => undefined : onChange,
  };
}
