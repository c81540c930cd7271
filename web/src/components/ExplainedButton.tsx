// A toolbar's button that may be greyed, carrying its own reason: the toolbar's buttons share
// no line under them, as a form's do.
import { useId } from "react";
import { GreyableButton, type GreyableButtonProps } from "./GreyableButton";

export interface ExplainedButtonProps extends Omit<GreyableButtonProps, "greyedBy"> {
  /** Why the button does nothing now, in a sentence; unset, it works. */
  reason?: string | undefined;
}

/** Greyed, the reason is read out as the button's description, shows under the toolbar while
 * the button has focus (styles.css: for keyboard and touch users) and is the mouse's tooltip. */
export function ExplainedButton({ reason, ...button }: ExplainedButtonProps) {
  const id = useId();
  return (
    <>
      <GreyableButton {...button} greyedBy={reason && id} title={reason} />
      {reason && <span id={id} className="sr-only greyed-reason">{reason}</span>}
    </>
  );
}
