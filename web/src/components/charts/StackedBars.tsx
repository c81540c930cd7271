// Counts per bucket, stacked by kind (runs by status), each segment in its status colour.
import { statusColour } from "../runStatus";
import { countTick, type Stack } from "../../pages/dashboard/series";
import { axisTop, ChartFrame, PAD, PLOT_W, yOf } from "./frame";

export function StackedBars({ title, stacks }: { title: string; stacks: readonly Stack[] }) {
  const top = axisTop(stacks.map((stack) => stack.total));
  const slot = PLOT_W / Math.max(stacks.length, 1);
  const width = Math.max(slot * 0.7, 1);
  return (
    <ChartFrame title={title} labels={stacks.map((s) => s.label)} top={top} format={countTick}>
      {stacks.map((stack, i) => {
        let base = 0;
        return (
          <g key={i}>
            <title>{`${stack.label}: ${stack.parts.map((p) => `${p.value} ${p.status}`).join(", ")}`}</title>
            {stack.parts.map((part) => {
              const y = yOf(base + part.value, top);
              const height = yOf(base, top) - y;
              base += part.value;
              return part.value > 0 ? (
                <rect key={part.status} data-status={part.status} x={PAD.left + slot * i + (slot - width) / 2} y={y} width={width} height={height} fill={statusColour(part.status)} />
              ) : null;
            })}
          </g>
        );
      })}
    </ChartFrame>
  );
}
