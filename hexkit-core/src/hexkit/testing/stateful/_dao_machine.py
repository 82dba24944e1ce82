"""The DAO state machine: random operations on a provider and the memory reference.

Each example draws a DTO model from the supported-type table (random field kinds, a
nested model, unique and plain indexes), opens a fresh provider under test and a fresh
memory reference, and runs random steps on both: writes of valid and invalid values,
bulk writes and deletes (repeated IDs, drawn batch sizes), reads, counts and existence
checks, finds with mapping, sort, skip, limit and total count, keyset-paged finds read to
the last page, transactions that commit or roll back, a transaction racing an outside
writer, and (given :class:`ServerFaults`) a killed or frozen server. Every step must
give the same outcome on both: the same results, serialising to the same JSON, or the
same error class.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule
from pydantic import BaseModel, ValidationError

from hexkit.protocols.dao import (
    BulkWriteError,
    DaoError,
    DaoFactoryProtocol,
    Index,
    ProviderClosedError,
)
from hexkit.providers.memory import MemoryDaoFactory

from ._base import AsyncMachine, Outcome, canonical, capture, error_class
from ._faults import ServerFaults, failing_call
from ._strategies import FIELD_KINDS, DrawnModel, FieldKind, ids, models

__all__ = ["DaoMachine", "OpenDaoFactory"]

#: What a provider supplies: opens a fresh, empty provider (an async context manager).
OpenDaoFactory = Callable[[], AbstractAsyncContextManager[DaoFactoryProtocol]]
DaoCall = Callable[[Any], Awaitable[Any]]

_ANY_ID = st.one_of(ids, st.integers(0, 2))
_CONFLICTS = ("TransactionError", "UniqueConstraintViolationError")
_MAX_PAGES = 40  # more pages than a machine's collection can fill at the smallest limit


class _Rollback(Exception):
    """Leaves a transaction block to roll it back."""


class _Side:
    """One provider of the pair: its factory, its DAOs, its surrogate-ID counter."""

    def __init__(self, factory: DaoFactoryProtocol) -> None:
        self.factory = factory
        self.dao: Any = None
        self.surrogate: Any = None
        self.ids = itertools.count()

    async def open(self, drawn: DrawnModel, name: str, indexes: list[Index]) -> None:
        self.dao = await self.factory.get_dao(
            name=name, dto_model=drawn.model, id_field="id", indexes=indexes
        )
        self.surrogate = await self.factory.get_dao(
            name=name,
            dto_model=drawn.model,
            id_field="id",
            indexes=indexes,
            dto_creation_model=drawn.creation,
            id_generator=lambda: f"s{next(self.ids)}",
        )


class DaoMachine(AsyncMachine):
    """Runs every DAO operation on the provider under test and on the memory reference.

    Subclass it and set :attr:`open_provider`, or use
    :class:`~hexkit.testing.stateful.DaoStatefulTests`, which does it from a fixture.
    """

    #: Opens a fresh provider under test; set by the subclass.
    open_provider: ClassVar[OpenDaoFactory]
    #: Whether the provider runs transactions (else only ``TransactionsNotSupportedError``).
    supports_transactions: ClassVar[bool] = True
    #: Takes the subject's server away and back (``None``: no fault steps are drawn).
    faults: ClassVar[ServerFaults | None] = None
    #: How many faults the examples of this class injected (the pytest side checks it).
    faults_injected: ClassVar[int] = 0
    #: The field kinds models are drawn from (a server's known deviation may narrow one).
    field_kinds: ClassVar[tuple[FieldKind, ...]] = FIELD_KINDS

    def __init__(self) -> None:
        super().__init__()
        self.drawn: DrawnModel | None = None
        self.seen: dict[str, list[Any]] = {}
        self.may_fault = False
        reference = self.run(self.stack.enter_async_context(_memory()))
        subject = self.run(self.stack.enter_async_context(type(self).open_provider()))
        self.sides = (_Side(reference), _Side(subject))

    # --- running a step on both --------------------------------------------------

    def both(self, call: Callable[[_Side], Awaitable[Any]], what: str) -> Outcome:
        """Run ``call`` on the reference, then on the subject; assert equal outcomes."""
        reference = self.run(_call(call, self.sides[0]))
        subject = self.run(_call(call, self.sides[1]))
        assert subject == reference, (
            f"{what}: the provider gave {subject!r}, the memory reference {reference!r}"
        )
        return reference

    def _dto(self, id_: Any, values: dict[str, Any]) -> BaseModel | None:
        assert self.drawn is not None
        try:
            return self.drawn.model.model_validate({"id": id_, **values})
        except ValidationError:
            return None  # not a DTO at all (e.g. a URL pydantic refuses): nothing to store

    def _remember(self, dto: BaseModel) -> None:
        assert self.drawn is not None
        for path in ["id", *self.drawn.paths()]:
            value: Any = dto
            for part in path.split("."):
                value = getattr(value, part, None)
            self.seen.setdefault(path, []).append(value)

    # --- the rules -----------------------------------------------------------------

    @initialize(data=st.data())
    def open_daos(self, data: st.DataObject) -> None:
        """Draw a model and its indexes; get the DAOs on both providers."""
        self.drawn = drawn = data.draw(models(self.field_kinds), label="model")
        indexable = sorted(path for path, kind in drawn.paths().items() if kind.indexable)
        indexes: list[Index] = []
        if indexable:
            chosen = data.draw(st.lists(st.sampled_from(indexable), max_size=2, unique=True))
            indexes = [Index(path, unique=data.draw(st.booleans())) for path in chosen]
        name = f"machine_{uuid.uuid4().hex[:12]}"
        self.both(lambda side: side.open(drawn, name, indexes), "get_dao")
        # About one example in two may take the server away once (a fault costs seconds).
        self.may_fault = self.faults is not None and data.draw(st.booleans())

    @rule(op=st.sampled_from(["insert", "upsert", "update"]), id_=ids, data=st.data())
    def write(self, op: str, id_: str, data: st.DataObject) -> None:
        """Insert, upsert or update a DTO of drawn (valid or invalid) values."""
        assert self.drawn is not None
        dto = self._dto(id_, data.draw(self.drawn.values(), label="values"))
        if dto is None:
            return
        outcome = self.both(lambda side: getattr(side.dao, op)(dto.model_copy()), f"{op}({dto!r})")
        if outcome[0] == "ok":
            self._remember(dto)

    @rule(data=st.data())
    def insert_surrogate(self, data: st.DataObject) -> None:
        """Insert through the surrogate-ID DAO; compare the DTOs it returns."""
        assert self.drawn is not None
        try:
            creation = self.drawn.creation.model_validate(data.draw(self.drawn.values()))
        except ValidationError:
            return
        self.both(
            lambda side: side.surrogate.insert(creation.model_copy()), f"insert({creation!r})"
        )

    @rule(id_=_ANY_ID)
    def get_by_id(self, id_: Any) -> None:
        """Read one resource by ID."""
        self.both(lambda side: side.dao.get_by_id(id_), f"get_by_id({id_!r})")

    @rule(id_=_ANY_ID)
    def delete(self, id_: Any) -> None:
        """Delete one resource by ID."""
        self.both(lambda side: side.dao.delete(id_), f"delete({id_!r})")

    def _mapping(self, data: st.DataObject) -> dict[str, Any]:
        assert self.drawn is not None
        paths = {"id": None, **self.drawn.paths()}
        chosen = data.draw(st.lists(st.sampled_from(sorted(paths)), max_size=2, unique=True))
        mapping: dict[str, Any] = {}
        for path in chosen:
            kind = paths[path]
            fresh = ids if kind is None else kind.values
            seen = self.seen.get(path)
            mapping[path] = data.draw(st.one_of(st.sampled_from(seen), fresh) if seen else fresh)
        return mapping

    @rule(data=st.data())
    def find_one(self, data: st.DataObject) -> None:
        """Find the single match of a drawn mapping."""
        mapping = self._mapping(data)
        self.both(lambda side: side.dao.find_one(mapping=mapping), f"find_one({mapping!r})")

    @rule(data=st.data())
    def find_all(self, data: st.DataObject) -> None:
        """Find all matches with sort, skip and limit; count them."""
        assert self.drawn is not None
        mapping = self._mapping(data)
        sortable = sorted(path for path, kind in self.drawn.paths().items() if kind.sortable)
        keys = data.draw(st.lists(st.sampled_from(["id", *sortable]), max_size=2, unique=True))
        sort = [data.draw(st.sampled_from(["", "-"])) + key for key in keys] or None
        skip = data.draw(st.none() | st.integers(0, 3))
        limit = data.draw(st.none() | st.integers(0, 3))

        async def find(side: _Side) -> Any:
            result = side.dao.find_all(mapping=mapping, skip=skip, limit=limit, sort=sort)
            return (await result.to_list(), await result.total_count())

        self.both(find, f"find_all({mapping!r}, sort={sort}, skip={skip}, limit={limit})")

    @rule(data=st.data())
    def page_through(self, data: st.DataObject) -> None:
        """Read every page of a keyset-paged find (``limit`` and ``after``)."""
        assert self.drawn is not None
        mapping = self._mapping(data)
        sortable = sorted(path for path, kind in self.drawn.paths().items() if kind.sortable)
        keys = data.draw(st.lists(st.sampled_from(sortable), max_size=1)) if sortable else []
        sort = [data.draw(st.sampled_from(["", "-"])) + key for key in keys] or None
        limit = data.draw(st.integers(1, 3))

        async def pages(side: _Side) -> list[Any]:
            found, after = [], None
            for _ in range(_MAX_PAGES):
                result = side.dao.find_all(mapping=mapping, sort=sort, limit=limit, after=after)
                found.append(await result.to_list())
                after = result.next_cursor
                if after is None:
                    return found
            raise AssertionError(f"still a next page after {_MAX_PAGES} pages")

        self.both(pages, f"pages of find_all({mapping!r}, sort={sort}, limit={limit})")

    @rule(data=st.data())
    def count_and_exists(self, data: st.DataObject) -> None:
        """Count the matches of a drawn mapping; ask whether a drawn ID exists."""
        mapping = self._mapping(data)
        self.both(lambda side: side.dao.count(mapping=mapping), f"count({mapping!r})")
        id_ = data.draw(_ANY_ID)
        self.both(lambda side: side.dao.exists(id_), f"exists({id_!r})")

    @rule(op=st.sampled_from(["insert_many", "upsert_many"]), data=st.data())
    def write_many(self, op: str, data: st.DataObject) -> None:
        """Insert or upsert a drawn batch (IDs may repeat), in batches of a drawn size."""
        assert self.drawn is not None
        dtos = []
        for id_ in data.draw(st.lists(ids, max_size=5)):
            dto = self._dto(id_, data.draw(self.drawn.values()))
            if dto is not None:
                dtos.append(dto)
        batch_size = data.draw(st.none() | st.integers(1, 3))

        async def call(side: _Side) -> Any:
            copies = [dto.model_copy() for dto in dtos]
            return await _bulk_outcome(getattr(side.dao, op)(copies, batch_size=batch_size))

        outcome = self.both(call, f"{op}({dtos!r}, batch_size={batch_size})")
        failed = {failure[0] for failure in outcome[1][-1]} if outcome[0] == "ok" else set()
        for position, dto in enumerate(dtos):
            if outcome[0] == "ok" and position not in failed:
                self._remember(dto)

    @rule(data=st.data())
    def delete_many(self, data: st.DataObject) -> None:
        """Delete a drawn list of IDs (they may repeat or be missing)."""
        chosen = data.draw(st.lists(_ANY_ID, max_size=5))
        self.both(
            lambda side: _bulk_outcome(side.dao.delete_many(list(chosen))),
            f"delete_many({chosen!r})",
        )

    @precondition(lambda self: self.drawn is not None and self.may_fault)
    @rule(kind=st.sampled_from(["kill", "freeze"]), id_=ids)
    def server_fault(self, kind: str, id_: Any) -> None:
        """Kill or freeze the subject's server; then compare everything.

        A call during the fault fails in time with a typed error; once the server is back
        the same factory works and every acknowledged write is still there.
        """
        faults = self.faults
        assert faults is not None
        self.may_fault = False  # one fault per example
        type(self).faults_injected += 1
        if kind == "kill":
            time.sleep(faults.durable_after)  # see ServerFaults: a server's own deviation
        (faults.kill if kind == "kill" else faults.pause)()
        try:
            error, elapsed = self.run(failing_call(self.sides[1].dao.get_by_id(id_)))
        finally:
            (faults.restart if kind == "kill" else faults.resume)()
        assert isinstance(error, DaoError), f"{kind}: get_by_id({id_!r}) raised {error!r}"
        assert not isinstance(error, ProviderClosedError), f"{kind}: {error!r}"
        assert elapsed <= faults.call_timeout + 1, f"{kind}: {error!r} after {elapsed:.2f} s"
        self.everything()

    @rule()
    def everything(self) -> None:
        """Compare the whole collection, sorted by ID."""
        self.both(lambda side: side.dao.find_all(mapping={}, sort=["id"]).to_list(), "find_all")

    @precondition(lambda self: self.drawn is not None and self.supports_transactions)
    @rule(data=st.data(), commit=st.booleans())
    def transaction(self, data: st.DataObject, commit: bool) -> None:
        """Run a few writes and reads in a transaction; commit or roll back."""
        assert self.drawn is not None
        steps: list[tuple[str, Any]] = []
        for _ in range(data.draw(st.integers(1, 3))):
            op = data.draw(st.sampled_from(["insert", "upsert", "update", "delete", "get_by_id"]))
            id_ = data.draw(ids)
            if op in ("delete", "get_by_id"):
                steps.append((op, id_))
            else:
                dto = self._dto(id_, data.draw(self.drawn.values()))
                if dto is not None:
                    steps.append((op, dto))

        async def block(side: _Side) -> list[Outcome]:
            outcomes: list[Outcome] = []
            try:
                async with side.factory.transaction():
                    for op, argument in steps:
                        copy = (
                            argument.model_copy() if isinstance(argument, BaseModel) else argument
                        )
                        outcome = await capture(getattr(side.dao, op)(copy))
                        outcomes.append(outcome)
                        if outcome[0] == "error":
                            raise _Rollback
                    if not commit:
                        raise _Rollback
            except _Rollback:
                outcomes.append(("rolled back", None))
            except Exception as error:  # noqa: BLE001 - compared as an outcome
                outcomes.append(("block error", error_class(error)))
            return outcomes

        self.both(block, f"transaction({steps!r}, commit={commit})")
        self.everything()

    @precondition(lambda self: self.drawn is not None and self.supports_transactions)
    @rule(id_=ids, data=st.data())
    def stale_write(self, id_: str, data: st.DataObject) -> None:
        """Race a transaction (read, then write) against an outside writer of the resource."""
        assert self.drawn is not None
        outside = self._dto(id_, data.draw(self.drawn.values()))
        inside = self._dto(id_, data.draw(self.drawn.values()))
        if outside is None or inside is None:
            return
        what = f"stale write of {id_!r}"
        reference, subject = self.sides
        expected = self.run(_call(lambda side: _race(side, id_, outside, inside), reference))
        found = self.run(_call(lambda side: _race(side, id_, outside, inside), subject))
        if found != expected:
            # Allowed only when one of the two writes changed nothing where it ran: the
            # outside write stored what the block had read, or the block's write left
            # the outside write in place (a no-op by the server's equality). No update is
            # lost either way; the reference then takes what the subject stored.
            message = f"{what}: the provider gave {found!r}, the memory reference {expected!r}"
            assert found[0] == expected[0] == "ok", message
            assert found[1][:-1] == expected[1][:-1], message
            assert {found[1][-1], expected[1][-1]} == set(_EITHER), message
            stored = self.run(_call(lambda side: side.dao.get_by_id(id_), subject))
            assert stored[0] == "ok", f"after the race, get_by_id({id_!r}) gave {stored!r}"
            # Outcomes inside the race's list: the block's read, then the outside write's
            # result (the DTO as stored); ``stored`` becomes comparable by ``canonical``.
            read, outside_stored = expected[1][0], expected[1][1]
            assert outside_stored[0] == "ok", message
            assert read == outside_stored or canonical(stored) == outside_stored, message
            self.run(reference.dao.upsert(stored[1][2].model_copy()))
        self.everything()


async def _bulk_outcome(call: Awaitable[Any]) -> tuple[Any, ...]:
    """Return a bulk call's outcome: what it wrote, and each failure's position, ID, class."""
    try:
        result = await call
    except BulkWriteError as error:
        failures = tuple((f.position, f.id, error_class(f.error)) for f in error.failures)
        return ("failed", error.written, failures)
    return ("written", result.written, ())


async def _call(call: Callable[[_Side], Awaitable[Any]], side: _Side) -> Outcome:
    """Call ``call`` inside the event loop (some DAO methods need a running loop)."""

    async def awaited() -> Any:
        return await call(side)

    return await capture(awaited())


async def _race(side: _Side, id_: str, outside: BaseModel, inside: BaseModel) -> list[Any]:
    read_done, outside_done = asyncio.Event(), asyncio.Event()
    results: list[Any] = []

    async def outside_writer() -> None:
        await read_done.wait()
        results.append(await capture(side.dao.upsert(outside.model_copy())))
        outside_done.set()

    writer = asyncio.create_task(outside_writer())
    try:
        async with side.factory.transaction():
            results.append(await capture(side.dao.get_by_id(id_)))
            read_done.set()
            await asyncio.wait_for(outside_done.wait(), 30)
            # The conflict may raise TransactionError at this write or at the commit (the
            # protocol allows either): only the block's outcome is compared.
            await side.dao.upsert(inside.model_copy())
        results.append("committed")
    except Exception as error:  # noqa: BLE001 - compared as an outcome
        kind = error_class(error)
        # A stale write that breaks a unique index too may report either (see the kit's
        # DaoFoundTests): PostgreSQL reports the conflict, SecantusDB the index.
        results.append(("block error", "conflict" if kind in _CONFLICTS else kind))
    finally:
        read_done.set()
        await writer
    return results


#: What a transaction racing an outside writer may end in when one of the writes changed
#: nothing (MongoDB does not count an unchanged replace as a write).
_EITHER = ("committed", ("block error", "conflict"))


def _memory() -> AbstractAsyncContextManager[DaoFactoryProtocol]:
    from hexkit.providers.memory import MemoryDaoConfig  # noqa: PLC0415 - keep the top lean

    return MemoryDaoFactory.construct(config=MemoryDaoConfig())
