"""One page of a listing: the one shape every paged ``GET`` answers with."""

from collections.abc import Callable
from typing import Generic, Self, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    """Items in the listing's order; ``next_after`` is where the next page starts.

    Each listing names its page as a subclass (``class TemplateList(Page[TemplateRead])``):
    the OpenAPI document would otherwise call it ``Page_TemplateRead_``, a name generated
    clients turn into their type names.
    """

    items: list[T]
    next_after: str | None = Field(
        description="Pass as `after` for the next page; null at the end."
    )

    @classmethod
    def after_last(cls, items: list[T], limit: int, key: Callable[[T], str]) -> Self:
        """A page that goes on after its last item's ``key`` when it is full (``limit``
        items): a shorter one is the last."""
        return cls(items=items, next_after=key(items[-1]) if len(items) == limit else None)
