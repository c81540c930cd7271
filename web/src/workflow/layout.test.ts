import { describe, expect, it } from "vitest";
import { NESTED } from "./fixtures";
import { documentToGraph } from "./graph";
import { drawnHeight, layoutGraph } from "./layout";
import type { Action, WorkflowDocument } from "./document";

describe("layoutGraph", () => {
  const nodes = layoutGraph(documentToGraph(NESTED), NESTED.studio?.positions);
  const at = (id: string) => nodes.find((n) => n.id === id)?.position;

  it("keeps a dragged position", () => expect(at("big")).toEqual({ x: 10, y: 20 }));

  it("puts what follows below what comes before, and the arms of a branch side by side", () => {
    expect(at("wait_pay")!.y).toBeGreaterThan(at("vip")!.y);
    expect(at("done")!.y).toBeGreaterThan(at("join:fan")!.y);
    expect(at("log_a")!.y).toBeGreaterThan(at("fan")!.y);
    expect(at("log_a")!.x).not.toBe(at("log_b")!.x);
  });

  it("lays out 50 actions in one column without overlap", () => {
    const actions: Action[] = Array.from({ length: 50 }, (_, i) => ({ id: `a${i}`, type: "log" }));
    const doc: WorkflowDocument = { workflow_id: "big", name: "Big", trigger: { type: "t" }, actions };
    const ys = layoutGraph(documentToGraph(doc)).map((n) => n.position.y);
    expect(new Set(ys).size).toBe(51);
  });
});

describe("drawnHeight", () => {
  const steps = (count: number, delay = 0): WorkflowDocument => ({
    workflow_id: "onboarding", name: "Onboarding", trigger: { type: "user_signup" },
    actions: Array.from({ length: count }, (_, i) => ({ id: `a${i}`, type: "log", delay })),
  });
  const height = (doc: WorkflowDocument) => drawnHeight(layoutGraph(documentToGraph(doc)), 360, 760);

  it("is the drawing's height and the fit's padding, so the nodes show at full size", () => {
    const nodes = layoutGraph(documentToGraph(steps(3)));
    const ys = nodes.map((node) => node.position.y);
    const drawing = Math.max(...ys) + 64 - Math.min(...ys);
    expect(height(steps(3))).toBe(Math.round(drawing / 0.7));
    expect(height(steps(3))).toBeGreaterThan(360);
  });

  it("is no less than the least, and no more than the most", () => {
    expect(height(steps(1))).toBe(360);
    expect(height(steps(50))).toBe(760);
    expect(drawnHeight([], 360, 760)).toBe(360);
  });
});
