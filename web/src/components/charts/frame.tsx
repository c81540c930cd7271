// The frame every chart shares: its size, the value axis with three ticks, every n-th label
// under the x axis. Plain SVG: no chart library to load.
import type { ReactNode } from "react";
import { niceMax } from "../../pages/dashboard/series";

export const WIDTH = 640;
export const HEIGHT = 200;
export const PAD = { left: 44, right: 8, top: 8, bottom: 22 };
export const PLOT_W = WIDTH - PAD.left - PAD.right;
export const PLOT_H = HEIGHT - PAD.top - PAD.bottom;

export interface FrameProps {
  title: string;
  labels: readonly string[];
  top: number;
  format: (value: number) => string;
  children: ReactNode;
}

/** The y of `value` on an axis from 0 to `top`. */
export function yOf(value: number, top: number): number {
  return PAD.top + PLOT_H - (value / top) * PLOT_H;
}

export function axisTop(values: readonly (number | null)[], fixed?: number): number {
  return fixed ?? niceMax(Math.max(0, ...values.filter((v): v is number => v !== null)));
}

export function ChartFrame({ title, labels, top, format, children }: FrameProps) {
  const every = Math.max(1, Math.ceil(labels.length / 8));
  const slot = PLOT_W / Math.max(labels.length, 1);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={title}>
        {[0, 0.5, 1].map((share) => (
          <g key={share}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={yOf(top * share, top)} y2={yOf(top * share, top)} className="grid" />
            <text x={PAD.left - 4} y={yOf(top * share, top) + 4} textAnchor="end" className="tick">{format(top * share)}</text>
          </g>
        ))}
        {labels.map((label, i) =>
          i % every === 0 ? (
            <text key={i} x={PAD.left + slot * (i + 0.5)} y={HEIGHT - 6} textAnchor="middle" className="tick">{label}</text>
          ) : null,
        )}
        {children}
      </svg>
    </figure>
  );
}
