"""A node clicked where it first showed opens in the inspector. The editor's first fit of the
canvas was animated, after the nodes had shown unfitted: they moved 200 px away while a
person (or a test) was clicking, the click fell on the empty canvas, and nothing opened."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

# Every place the node `hello` is drawn in, in order, from the first frame it is visible.
RECORD_PLACES = """
window.places = [];
window.framesStill = 0;
(function watch() {
  const node = document.querySelector("[data-node='hello']");
  const wrapper = node?.closest(".react-flow__node");
  if (wrapper && getComputedStyle(wrapper).visibility === "visible") {
    const box = node.getBoundingClientRect();
    const place = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const last = window.places.at(-1);
    if (last && last.x === place.x && last.y === place.y) window.framesStill += 1;
    else { window.places.push(place); window.framesStill = 0; }
  }
  requestAnimationFrame(watch);
})();
"""


def test_a_node_clicked_where_it_first_showed_opens(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    sign_in(page, service, service.key)
    page.add_init_script(RECORD_PLACES)
    page.goto(f"{service.base}/studio/workflows/{workflow['workflow_id']}")
    # Loaded: the palette's connectors, the API's validation, and the node still for 20
    # frames (an animated fit moves it every frame until it ends).
    expect(page.locator("[data-palette]").first).to_be_visible()
    expect(page.locator(".editor-title")).to_contain_text("· valid")
    page.wait_for_function("() => window.framesStill >= 20")

    places = page.evaluate("window.places")
    page.mouse.click(places[0]["x"], places[0]["y"])

    name = page.locator(".inspector-pane").get_by_label("Name", exact=True)
    expect(name).to_be_visible()
    assert len(places) == 1, f"the node moved after it showed: {places}"
