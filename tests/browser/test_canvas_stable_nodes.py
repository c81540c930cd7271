"""Selecting a node leaves the others as they are drawn. The canvas gave React Flow new node
objects on every selection (and every validation), which it takes for new nodes: each was
hidden, measured again and shown, a frame or more later (wasted work, and a flicker)."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

# From now on: each node element hidden (React Flow hides a node until it has measured it),
# and the element each node is drawn in.
WATCH_NODES = """
() => {
  window.hiddenNodes = [];
  window.nodeElements = new Map(
    [...document.querySelectorAll(".react-flow__node")].map((element) => [element.dataset.id, element]),
  );
  new MutationObserver((records) => {
    for (const { target } of records) {
      if (target.style.visibility === "hidden") window.hiddenNodes.push(target.dataset.id);
    }
  }).observe(document.querySelector(".react-flow__nodes"), {
    attributes: true, attributeFilter: ["style"], subtree: true,
  });
}
"""

SELECTED = re.compile(r"\bselected\b")

SAME_ELEMENTS = """
() => [...window.nodeElements].filter(
  ([id, element]) => document.querySelector(`.react-flow__node[data-id="${id}"]`) !== element,
).map(([id]) => id)
"""


def test_selecting_a_node_neither_hides_nor_replaces_the_others(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/{workflow['workflow_id']}")
    expect(page.locator(".editor-title")).to_contain_text("· valid")
    hello = page.locator("[data-node='hello']")
    trigger = page.locator("[data-node='trigger']")
    expect(hello).to_be_visible()
    expect(trigger).to_be_visible()
    page.evaluate(WATCH_NODES)

    hello.click()
    expect(page.locator(".inspector-pane").get_by_label("Name", exact=True)).to_be_visible()
    expect(hello).to_have_class(SELECTED)
    trigger.click()
    expect(trigger).to_have_class(SELECTED)
    expect(hello).not_to_have_class(SELECTED)

    assert page.evaluate("window.hiddenNodes") == [], "nodes were hidden to be measured again"
    assert page.evaluate(SAME_ELEMENTS) == [], "nodes were drawn in new elements"
