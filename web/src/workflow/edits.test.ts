import { describe, expect, it } from "vitest";
import { walk, type WorkflowDocument } from "./document";
import { clearPositions, insertAfterNode, moveAction, removeAction, replaceFields, setPosition, withIds } from "./edits";
import { NESTED } from "./fixtures";
import { documentToGraph, graphToDocument } from "./graph";

const ids = (doc: WorkflowDocument) => walk(doc.actions).map((e) => e.action.id);
const log = (id: string) => ({ id, type: "log" });

describe("edits", () => {
  it("adds after an action, into an empty arm, first after the trigger, after a join", () => {
    let doc = insertAfterNode(NESTED, "vip", log("x1"));
    doc = insertAfterNode(doc, "slot:big/else", log("x2"));
    doc = insertAfterNode(doc, "trigger", log("x3"));
    doc = insertAfterNode(doc, "join:fan", log("x4"));
    doc = insertAfterNode(doc, "slot:ab/variants/1", log("x5"));
    expect(doc.actions.map((a) => a.id)).toEqual(["x3", "big", "wait_pay", "fan", "x4", "done"]);
    expect(doc.actions[1]?.then?.map((a) => a.id)).toEqual(["vip", "x1", "ab"]);
    expect(doc.actions[1]?.else?.map((a) => a.id)).toEqual(["x2"]);
    expect(doc.actions[1]?.then?.[2]?.variants?.[1]?.actions?.map((a) => a.id)).toEqual(["x5"]);
    // And the graph of the edited document gives it back.
    expect(graphToDocument(documentToGraph(doc).nodes)).toEqual(doc);
  });

  it("deletes an action with its nested actions and its position", () => {
    const doc = removeAction(NESTED, "big");
    expect(ids(doc)).not.toContain("vip");
    expect(doc.studio?.positions).toEqual({});
  });

  it("reorders within a list and stays put at its ends", () => {
    expect(moveAction(NESTED, "wait_pay", -1).actions.map((a) => a.id)).toEqual(["wait_pay", "big", "fan", "done"]);
    expect(moveAction(NESTED, "big", -1)).toEqual(NESTED);
    expect(moveAction(NESTED, "done", 1)).toEqual(NESTED);
  });

  it("replaces an action's own fields and keeps its nested actions", () => {
    const doc = replaceFields(NESTED, "big", { id: "big", type: "condition", name: "Big order", conditions: [], then: [], else: [] });
    expect(doc.actions[0]?.name).toBe("Big order");
    expect(doc.actions[0]?.then?.map((a) => a.id)).toEqual(["vip", "ab"]);
  });

  it("keeps dragged positions rounded, and forgets them all on request", () => {
    const doc = setPosition(NESTED, "done", { x: 1.4, y: 2.6 });
    expect(doc.studio?.positions?.["done"]).toEqual({ x: 1, y: 3 });
    expect(clearPositions(doc).studio).toBeUndefined();
  });

  it("names unnamed actions as the API does", () => {
    const doc = withIds({
      workflow_id: "w", name: "w", trigger: { type: "t" },
      actions: [{ type: "log" }, { type: "condition", then: [{ type: "log" }], else: [{ id: "action_001", type: "log" }] }],
    });
    expect(ids(doc)).toEqual(["action_001_2", "action_002", "action_002_then_001", "action_001"]);
  });
});
