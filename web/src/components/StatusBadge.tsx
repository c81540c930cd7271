// A run's or step's status as a coloured badge (the text says it too, for colour-blind eyes).
import { statusColour } from "./runStatus";

export function StatusBadge({ status }: { status: string }) {
  const colour = statusColour(status);
  return (
    <span className="badge status" data-status={status} style={{ color: colour, borderColor: colour }}>
      {status}
    </span>
  );
}
