"""The canvas in Chromium: a workflow built from the palette (trigger, condition, send_email
with a template, a delay picked as a number and a unit) shows the API's validation error on
its node and field, then is published (issue 15, item 12), warned meanwhile that the template
it names is not created yet; an approval is drawn with its three labelled branches, and an
action dropped into one is saved there (issue 19, item 1)."""

from playwright.sync_api import FloatRect, Page, expect

from tests.browser.conftest import Service, open_on_canvas, sign_in


def test_a_workflow_built_from_the_palette_shows_its_error_on_the_node_then_publishes(
    page: Page, service: Service
) -> None:
    sign_in(page, service, service.key)
    page.get_by_role("link", name="New workflow").first.click()
    open_on_canvas(page, "built_on_canvas", "Built on the canvas", "order_placed")

    page.get_by_role("button", name="Condition", exact=True).click()
    page.locator("[data-node='condition_1']").click()
    page.get_by_role("button", name="Send email", exact=True).click()
    page.get_by_label("Template").fill("order_thanks")
    page.get_by_role("button", name="Delay", exact=True).click()
    # A number and a unit, not text to get right ("5 minutes" was refused): over the limit,
    # the API's message shows on the node and the field.
    page.get_by_label("Delay", exact=True).fill("400")
    page.get_by_label("Delay unit").select_option("days")

    on_node = page.locator("[data-node='delay_1'] .node-problem")
    on_node.wait_for()
    assert "a delay is between 0 and 31622400 seconds" in on_node.inner_text()
    on_field = page.locator(".text-field.invalid .field-problems")
    assert "a delay is between 0 and 31622400 seconds" in on_field.inner_text()

    page.get_by_label("Delay", exact=True).fill("5")
    page.get_by_label("Delay unit").select_option("minutes")
    on_node.wait_for(state="detached")
    # Valid, but not ready to run: the template it names is not created yet.
    page.get_by_text("valid, 1 warning").wait_for()
    warning = page.locator(".validation-warnings li").inner_text()
    assert "message template 'order_thanks' was not found" in warning
    # ... with the page that makes one in place of the API's "POST /api/templates".
    assert "POST /api/templates" not in warning
    make_it = page.locator(".validation-warnings").get_by_role(
        "link", name="Governance → Message templates"
    )
    expect(make_it).to_have_attribute("href", "/studio/governance/templates?new=order_thanks")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/studio/workflows/built_on_canvas")
    page.get_by_text("Published version 1").wait_for()

    saved = service.api("GET", "/api/workflows/built_on_canvas").json()
    assert saved["active_version"] == 1
    actions = saved["document"]["actions"]
    assert [a["type"] for a in actions] == ["condition", "send_email", "delay"]
    assert actions[1]["template"] == "order_thanks"
    assert actions[2]["delay"] == "PT5M"


APPROVAL = {
    "workflow_id": "expense_approval",
    "name": "Expense approval",
    "trigger": {"type": "expense_submitted"},
    "actions": [
        {
            "id": "manager_ok",
            "type": "approval",
            "data": {"timeout": "P3D", "message": "{{ amount }} EUR"},
            "on_approve": [
                {
                    "id": "pay",
                    "type": "webhook_call",
                    "data": {"url": "https://erp.example.com/pay"},
                }
            ],
            "on_reject": [],
            "on_timeout": [{"id": "escalate", "type": "set", "data": {"escalate": True}}],
        },
        {"id": "done", "type": "log", "data": {"message": "decided"}},
    ],
}


def test_an_approval_is_drawn_with_its_three_labelled_branches_and_fills_one(
    page: Page, service: Service
) -> None:
    created = service.api("POST", "/api/workflows", json=APPROVAL)
    assert created.status_code == 201, created.text
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/workflows/expense_approval")

    page.locator("[data-node='manager_ok']").wait_for()
    approval = page.locator("[data-node='manager_ok']").bounding_box()
    assert approval is not None
    arms: list[FloatRect] = []
    for label, target in [
        ("on approve", "[data-node='pay']"),
        ("on reject", ".node-slot"),
        ("on timeout", "[data-node='escalate']"),
    ]:
        page.locator(".react-flow__edge", has=page.locator(f"text='{label}'")).wait_for()
        box = page.locator(target).bounding_box()
        assert box is not None
        arms.append(box)
    # Side by side, under the approval: three branches, not one line.
    assert len({round(box["x"]) for box in arms}) == 3
    assert all(box["y"] > approval["y"] for box in arms)

    page.locator(".node-slot", has_text="add to on reject").click()
    page.get_by_role("button", name="Log", exact=True).click()
    page.locator("[data-node='log_1']").wait_for()
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Published version 2").wait_for()

    document = service.api("GET", "/api/workflows/expense_approval").json()["document"]
    assert [a["id"] for a in document["actions"][0]["on_reject"]] == ["log_1"]
    assert document["actions"][0]["on_approve"][0]["id"] == "pay"


def test_an_approvals_timeout_is_a_number_and_a_unit_as_a_delay_is(
    page: Page, service: Service
) -> None:
    # It was a text box for "Seconds, or an ISO 8601 duration (PT5M, P1D)".
    document = {**APPROVAL, "workflow_id": "timed_approval"}
    created = service.api("POST", "/api/workflows", json=document)
    assert created.status_code == 201, created.text
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/workflows/timed_approval")

    page.locator("[data-node='manager_ok']").click()
    unit = page.get_by_label("timeout unit")
    expect(unit).to_have_value("days")
    expect(page.get_by_label("timeout", exact=True)).to_have_value("3")
    page.get_by_label("timeout", exact=True).fill("2")
    unit.select_option("hours")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Published version 2").wait_for()

    saved = service.api("GET", "/api/workflows/timed_approval").json()["document"]
    assert saved["actions"][0]["data"]["timeout"] == "PT2H"


def test_the_palette_heads_its_actions_with_plain_names(page: Page, service: Service) -> None:
    """The palette's groups were the connectors' product and mechanism names ("PARSE
    SERVER", "SHELL COMMANDS", "NOTIFY SERVICE"): little to a marketer."""
    sign_in(page, service, service.key)
    page.get_by_role("link", name="New workflow").first.click()
    open_on_canvas(page, "plain_palette", "Plain palette", "order_placed")

    groups = page.locator(".palette h3")
    for plain in ("Messages", "Your app's data (Parse Server)", "Scripts on the server"):
        expect(groups.filter(has_text=plain)).to_have_count(1)
    for old in ("Notify service", "Parse Server", "Shell commands"):
        expect(groups.get_by_text(old, exact=True)).to_have_count(0)
