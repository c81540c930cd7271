import { describe, expect, it } from "vitest";
import { NESTED } from "./fixtures";
import { documentToGraph } from "./graph";
import { layoutGraph } from "./layout";
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
