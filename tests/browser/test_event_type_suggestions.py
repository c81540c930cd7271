"""A trigger's event type offers the types the tenant received and those its other workflows
listen to, saying which; a new type may still be typed. Before, the field was free text with
nothing offered: a marketer had to know the exact type the shop sends, and a typo started
nothing, silently."""

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Service, open_on_canvas, sign_in

LISTENER = {
    "workflow_id": "suggests_its_type",
    "name": "Suggests its type",
    "trigger": {"type": "suggested_listened"},
    "actions": [{"id": "note", "type": "log", "data": {"message": "heard"}}],
}


def offered(page: Page, field: Locator, value: str) -> Locator:
    """The option of ``field``'s datalist with ``value``, once the field offers any."""
    expect(field).to_have_attribute("list", re.compile(r"\S"))
    listed = field.get_attribute("list")
    return page.locator(f"[id='{listed}'] option[value='{value}']")


def test_the_event_type_offers_received_and_listened_types_and_takes_a_new_one(
    page: Page, service: Service
) -> None:
    service.publish(LISTENER)
    sent = service.api("POST", "/api/events", json={"type": "suggested_received"})
    assert sent.status_code == 202, sent.text
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/wizard")

    typed = page.get_by_label("Event type")
    expect(offered(page, typed, "suggested_received")).to_have_attribute("label", "received")
    expect(offered(page, typed, "suggested_listened")).to_have_attribute(
        "label", "not received yet · in suggests_its_type"
    )
    open_on_canvas(page, "takes_a_new_type", "Takes a new type", "brand_new_type")
    page.locator("[data-node='trigger']").click()
    on_canvas = page.get_by_label("Trigger event type")

    expect(on_canvas).to_have_value("brand_new_type")
    expect(offered(page, on_canvas, "suggested_received")).to_have_count(1)
