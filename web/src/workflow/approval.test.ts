import { describe, expect, it } from "vitest";
import { insertAfterNode, withIds } from "./edits";
import { APPROVAL } from "./fixtures";
import { documentToGraph, graphToDocument } from "./graph";
import { layoutGraph } from "./layout";
import type { WorkflowDocument } from "./document";

const edgesOf = (doc: WorkflowDocument) => documentToGraph(doc).edges.map((e) => `${e.source} -> ${e.target}${e.label ? ` [${e.label}]` : ""}`);

describe("an approval on the canvas", () => {
  it("draws its three branches, labelled, an empty one as a slot, and merges after them", () => {
    expect(edgesOf(APPROVAL)).toEqual([
      "trigger -> ask",
      "ask -> manager_ok",
      "manager_ok -> pay [on approve]",
      "manager_ok -> slot:manager_ok/on_reject [on reject]",
      "manager_ok -> remind [on timeout]",
      "remind -> escalate",
      "pay -> done",
      "slot:manager_ok/on_reject -> done",
      "escalate -> done",
    ]);
  });

  it("gives the document back as it was", () => {
    expect(graphToDocument(documentToGraph(APPROVAL).nodes)).toEqual(APPROVAL);
  });

  it("lays the branches out side by side, below the approval and above what follows", () => {
    const nodes = layoutGraph(documentToGraph(APPROVAL));
    const at = (id: string) => nodes.find((n) => n.id === id)!.position;
    const arms = [at("pay"), at("slot:manager_ok/on_reject"), at("remind")];
    expect(new Set(arms.map((p) => p.x)).size).toBe(3);
    for (const arm of arms) {
      expect(arm.y).toBeGreaterThan(at("manager_ok").y);
      expect(arm.y).toBeLessThan(at("done").y);
    }
    expect(at("escalate").y).toBeGreaterThan(at("remind").y);
  });

  it("takes a new action into an empty branch, named as the API names it", () => {
    const doc = withIds(insertAfterNode(APPROVAL, "slot:manager_ok/on_reject", { type: "send_sms" }));
    const approval = doc.actions[1]!;
    expect(approval.on_reject).toEqual([{ id: "manager_ok_reject_001", type: "send_sms" }]);
    expect(approval.on_approve).toEqual(APPROVAL.actions[1]!.on_approve);
  });

  it("draws the slots of an approval made without branches, and fills one in", () => {
    const bare: WorkflowDocument = { ...APPROVAL, actions: [{ id: "ok", type: "approval", data: {} }] };
    expect(edgesOf(bare)).toEqual([
      "trigger -> ok",
      "ok -> slot:ok/on_approve [on approve]",
      "ok -> slot:ok/on_reject [on reject]",
      "ok -> slot:ok/on_timeout [on timeout]",
    ]);
    const filled = insertAfterNode(bare, "slot:ok/on_timeout", { id: "late", type: "log" });
    expect(filled.actions[0]).toEqual({ id: "ok", type: "approval", data: {}, on_timeout: [{ id: "late", type: "log" }] });
  });
});
