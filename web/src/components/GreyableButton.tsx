// A button that may be greyed out while saying why, in words every user can reach.
import type { ButtonHTMLAttributes } from "react";

export interface GreyableButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  /** The id of the text that says why the button does nothing now; unset, it works. */
  greyedBy?: string | undefined;
}

/** Greyed, the button is aria-disabled, not disabled: a disabled button takes no focus, so a
 * keyboard or screen-reader user would never reach the reason it is described by. It keeps
 * its focus and does nothing on a click or Enter. */
export function GreyableButton({ greyedBy, onClick, ...button }: GreyableButtonProps) {
  const greyed = greyedBy !== undefined;
  return (
    <button type="button" {...button} onClick={greyed ? undefined : onClick}
      aria-disabled={greyed || undefined} aria-describedby={greyedBy} />
  );
}
