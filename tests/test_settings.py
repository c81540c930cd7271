from pathlib import Path

from app.settings import configuration_table

DOCS = Path(__file__).parent.parent / "docs"


def test_configuration_page_lists_every_setting_as_the_code_has_it() -> None:
    head = (DOCS / "configuration.md.head").read_text()
    assert (DOCS / "configuration.md").read_text() == head + configuration_table(), (
        "docs/configuration.md is stale: run `make docs`"
    )
