"""The items API: endpoints over a DAO that ``hexkit.fastapi`` opens at startup.

Errors are not caught here: ``add_problem_handlers`` answers them as problem details
(an unknown ID 404, a taken name 409, a bad cursor 422, a database that is down 503).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Response, status

from hexkit.fastapi import DaoDependency, ProviderSettings, add_problem_handlers, hexkit_lifespan
from hexkit.protocols.dao import DaoFactoryProtocol, DaoSurrogateId, Index

from .models import Item, ItemPage, NewItem

__all__ = ["ITEMS", "create_app"]

ItemDao = DaoSurrogateId[Item, NewItem]


async def open_items(factory: DaoFactoryProtocol) -> ItemDao:
    """Build the items DAO: the DAO assigns UUIDs, and names are unique."""
    return await factory.get_dao(
        name="items",
        dto_model=Item,
        id_field="item_id",
        dto_creation_model=NewItem,
        indexes=[Index("name", unique=True)],
    )


ITEMS = DaoDependency(open_items)
Items = Annotated[ItemDao, Depends(ITEMS)]


def create_app(settings: ProviderSettings | None = None) -> FastAPI:
    """Return the application; its lifespan opens the DAO provider ``settings`` names."""
    app = FastAPI(
        title="Items",
        lifespan=hexkit_lifespan(settings or ProviderSettings(), daos=[ITEMS]),
    )
    add_problem_handlers(app)

    @app.post("/items", status_code=status.HTTP_201_CREATED)
    async def create_item(new: NewItem, items: Items) -> Item:
        return await items.insert(new)

    @app.get("/items/{item_id}")
    async def get_item(item_id: uuid.UUID, items: Items) -> Item:
        return await items.get_by_id(item_id)

    @app.put("/items/{item_id}")
    async def replace_item(item_id: uuid.UUID, new: NewItem, items: Items) -> Item:
        item = Item(item_id=item_id, **new.model_dump())
        await items.update(item)
        return item

    @app.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_item(item_id: uuid.UUID, items: Items) -> Response:
        await items.delete(item_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @app.get("/items")
    async def list_items(
        items: Items,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        after: Annotated[str | None, Query(max_length=2048)] = None,
    ) -> ItemPage:
        """List items by name, ``limit`` per page; ``after`` is the previous page's cursor."""
        found = items.find_all(mapping={}, limit=limit, sort=["name"], after=after)
        return ItemPage(items=await found.to_list(), next_cursor=found.next_cursor)

    return app
