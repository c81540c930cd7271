// One figure per bucket as a line; a bucket without a figure (null) breaks the line.
import type { Point } from "../../pages/dashboard/series";
import { axisTop, ChartFrame, PAD, PLOT_W, yOf } from "./frame";

interface Props {
  title: string;
  points: readonly Point[];
  format: (value: number) => string;
  /** A fixed top (100 for a percentage); else rounded up from the data. */
  top?: number;
  colour?: string;
}

/** The runs of consecutive non-null points, each drawn as one line. */
export function segments<T extends { value: number | null }>(points: readonly T[]): { index: number; value: number }[][] {
  const runs: { index: number; value: number }[][] = [];
  let current: { index: number; value: number }[] = [];
  points.forEach((point, index) => {
    if (point.value === null) {
      if (current.length) runs.push(current);
      current = [];
    } else current.push({ index, value: point.value });
  });
  if (current.length) runs.push(current);
  return runs;
}

export function LineChart({ title, points, format, top: fixed, colour = "#2f5bd3" }: Props) {
  const top = axisTop(points.map((p) => p.value), fixed);
  const slot = PLOT_W / Math.max(points.length, 1);
  const x = (index: number) => PAD.left + slot * (index + 0.5);
  return (
    <ChartFrame title={title} labels={points.map((p) => p.label)} top={top} format={format}>
      {segments(points).map((run, i) => (
        <polyline key={i} fill="none" stroke={colour} strokeWidth={2} points={run.map((p) => `${x(p.index)},${yOf(p.value, top)}`).join(" ")} />
      ))}
      {points.map((point, index) =>
        point.value === null ? null : (
          <circle key={index} cx={x(index)} cy={yOf(point.value, top)} r={3} fill={colour}>
            <title>{`${point.label}: ${format(point.value)}`}</title>
          </circle>
        ),
      )}
    </ChartFrame>
  );
}
