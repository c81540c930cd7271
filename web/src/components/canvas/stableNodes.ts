// The canvas's nodes kept as React Flow holds them across a selection or a validation.
import type { Node } from "@xyflow/react";

/** The nodes to draw next, from those drawn now and those the document asks for: a node
 * whose position, data, selection and label did not change is the same object, and one
 * whose did is a copy of the drawn one with those changed. React Flow takes a new node
 * object without its measured size as a node to hide and measure again (a flicker, and
 * wasted work for every node on every click); a kept object or a copy keeps that size. */
export function stableNodes<T extends Node>(drawn: readonly T[], wanted: readonly T[]): T[] {
  const byId = new Map(drawn.map((node) => [node.id, node]));
  return wanted.map((node) => {
    const now = byId.get(node.id);
    if (!now || now.type !== node.type) return node;
    const moved = now.position.x !== node.position.x || now.position.y !== node.position.y;
    if (!moved && now.data === node.data && Boolean(now.selected) === Boolean(node.selected) && now.ariaLabel === node.ariaLabel) return now;
    return { ...now, position: node.position, data: node.data, selected: node.selected, ariaLabel: node.ariaLabel };
  });
}
