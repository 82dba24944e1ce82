"""The items the application keeps, and the page a listing returns."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

__all__ = ["Item", "ItemPage", "NewItem"]


class NewItem(BaseModel):
    """What a client sends to create or replace an item; the DAO assigns the ID."""

    name: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=0, le=1_000_000)


class Item(NewItem):
    """A stored item."""

    item_id: uuid.UUID


class ItemPage(BaseModel):
    """One page of items by name; pass ``next_cursor`` as ``after`` for the next page."""

    items: list[Item]
    next_cursor: str | None
