"""The records the DAO benchmarks store: a typical service record of a dozen fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel


class Address(BaseModel):
    street: str
    city: str
    zip_code: int


class Order(BaseModel):
    """A typical service record: a dozen fields, a nested model and a list."""

    order_id: str
    number: int
    customer: str
    amount: Decimal
    created: datetime
    paid: bool
    tags: list[str]
    address: Address
    note: str | None = None


BASE = datetime(2024, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)


def make_order(key: int, version: int = 0) -> Order:
    return Order(
        order_id=f"order-{key:07d}",
        number=key,
        customer=f"customer-{key % 97}",
        amount=Decimal(f"{key}.{version:02d}"),
        created=BASE + timedelta(seconds=key),
        paid=key % 2 == 0,
        tags=["web", f"batch-{key % 10}"],
        address=Address(street=f"Main St {key}", city="Heidelberg", zip_code=69117),
        note=None,
    )
