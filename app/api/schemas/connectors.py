"""What the connectors API answers."""

from typing import Any

from pydantic import BaseModel, Field


class ConnectorAction(BaseModel):
    name: str
    action_type: str = Field(
        description="The workflow action type that runs it: its own name for the built-in "
        "types (`send_email`), otherwise `custom_action` with `data.connector` and "
        "`data.action`."
    )
    description: str
    input_schema: dict[str, Any] = Field(description="JSON Schema of the action's `data`.")
    output_schema: dict[str, Any] = Field(description="JSON Schema of the step's output.")


class ConnectorRead(BaseModel):
    code: str
    name: str
    description: str
    actions: list[ConnectorAction]
    enabled: bool = Field(
        True,
        description="Whether the caller's tenant may use it: local tasks (`file`, `shell`) "
        "are off until the deployment allows them and the tenant opts in.",
    )
    enable_with: str | None = Field(None, description="How to enable it, while it is off.")
