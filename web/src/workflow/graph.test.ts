import { describe, expect, it } from "vitest";
import type { WorkflowDocument } from "./document";
import { withIds } from "./edits";
import { NESTED } from "./fixtures";
import { documentToGraph, graphToDocument } from "./graph";

import { TEMPLATES } from "./templates";

const seeds = TEMPLATES.map(({ file, document }) => [file, withIds(document)] as const);

const edgesOf = (doc: WorkflowDocument) => documentToGraph(doc).edges.map((e) => `${e.source} -> ${e.target}${e.label ? ` [${e.label}]` : ""}${e.back ? " (back)" : ""}`);

describe("document → graph → document", () => {
  it("reads the four seed workflows", () => expect(seeds).toHaveLength(4));

  it.each(seeds)("gives back %s as it was", (_, doc) => {
    expect(graphToDocument(documentToGraph(doc).nodes)).toEqual(doc);
  });

  it("gives back nested branches of every kind, compensation and positions", () => {
    expect(graphToDocument(documentToGraph(NESTED).nodes)).toEqual(NESTED);
  });
});

describe("documentToGraph", () => {
  it("draws a node per action, the trigger, the join and a slot for an empty arm", () => {
    const ids = documentToGraph(NESTED).nodes.map((n) => n.id);
    expect(ids).toEqual([
      "trigger", "big", "vip", "ab", "short_mail", "slot:ab/variants/1", "slot:big/else",
      "wait_pay", "each", "ping", "nudge", "fan", "join:fan", "log_a", "log_b", "pause", "done",
      "compensation", "undo",
    ]);
  });

  it("draws branches as branches, merges after them, delays and send windows on edges", () => {
    expect(edgesOf(NESTED)).toEqual([
      "trigger -> big",
      "big -> vip [then · wait 5 min · in send window]",
      "vip -> ab",
      "ab -> short_mail [short · 25 % · in send window]",
      "ab -> slot:ab/variants/1 [long · 75 %]",
      "big -> slot:big/else [else]",
      "short_mail -> wait_pay",
      "slot:ab/variants/1 -> wait_pay",
      "ab -> wait_pay [holdout · 10 %]",
      "slot:big/else -> wait_pay",
      "wait_pay -> each [on event]",
      "each -> ping [each item]",
      "ping -> each [next item] (back)",
      "wait_pay -> nudge [on timeout · wait 1 h · in send window]",
      "each -> fan [done]",
      "nudge -> fan",
      "fan -> log_a [a]",
      "fan -> log_b [b]",
      "log_b -> pause",
      "log_a -> join:fan",
      "pause -> join:fan",
      "join:fan -> done",
      "compensation -> undo",
    ]);
  });

  it("draws the seed's delays on the edges into their actions", () => {
    const onboarding = seeds.find(([file]) => file === "user_onboarding.json")?.[1];
    expect(onboarding && edgesOf(onboarding)).toEqual([
      "trigger -> action_001",
      "action_001 -> action_002 [wait 5 min]",
      "action_002 -> action_003 [wait 1 h]",
      "action_003 -> action_004 [wait 1 d]",
    ]);
  });
});
