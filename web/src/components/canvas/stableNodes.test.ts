import { describe, expect, it } from "vitest";
import type { Node } from "@xyflow/react";
import { stableNodes } from "./stableNodes";

const data = { label: "hello" };
const drawn: Node[] = [
  { id: "trigger", type: "trigger", position: { x: 0, y: 0 }, data, selected: false, measured: { width: 200, height: 60 } },
  { id: "hello", type: "action", position: { x: 0, y: 100 }, data, selected: true, measured: { width: 200, height: 80 } },
];

describe("the canvas's nodes", () => {
  it("keeps a node's object when only another node's selection changed", () => {
    const wanted: Node[] = [
      { id: "trigger", type: "trigger", position: { x: 0, y: 0 }, data, selected: true },
      { id: "hello", type: "action", position: { x: 0, y: 100 }, data, selected: false },
    ];
    const [trigger, hello] = stableNodes(drawn, wanted);
    expect(trigger).not.toBe(drawn[0]);
    expect(trigger).toMatchObject({ selected: true, measured: { width: 200, height: 60 } });
    expect(hello).toMatchObject({ selected: false, measured: { width: 200, height: 80 } });
    const again = stableNodes([trigger!, hello!], wanted);
    expect(again[0]).toBe(trigger);
    expect(again[1]).toBe(hello);
  });

  it("copies a node whose data or position changed, its measured size kept", () => {
    const problem = { ...data, problem: { messages: ["no message"] } };
    const wanted: Node[] = [
      { id: "trigger", type: "trigger", position: { x: 0, y: 0 }, data, selected: false },
      { id: "hello", type: "action", position: { x: 40, y: 100 }, data: problem, selected: true },
    ];
    const [trigger, hello] = stableNodes(drawn, wanted);
    expect(trigger).toBe(drawn[0]);
    expect(hello).toMatchObject({ data: problem, position: { x: 40, y: 100 }, measured: { width: 200, height: 80 } });
  });

  it("takes a new node, or one of another type, as it is", () => {
    const added: Node = { id: "bye", type: "action", position: { x: 0, y: 200 }, data };
    const retyped: Node = { id: "hello", type: "join", position: { x: 0, y: 100 }, data };
    expect(stableNodes(drawn, [added, retyped])).toEqual([added, retyped]);
  });
});
