"""Bulk writes: their outcome types and the batching loop every provider runs.

The outcome rule, the same on every provider:

- Input is any iterable or async iterable, consumed in batches of ``batch_size`` items
  (default :data:`DEFAULT_BATCH_SIZE`); only one batch is held at a time.
- Each batch is validated completely before any of it is written. An item that cannot
  be stored (``InvalidDocumentError``, ``InvalidIdError``) is never sent to the backend.
- Outside a transaction every item is attempted: each one is either written or listed
  as a :class:`BulkFailure` (input position, ID, and the error the single call would
  raise: ``ResourceAlreadyExistsError``, ``UniqueConstraintViolationError``,
  ``ResourceNotFoundError``, ``InvalidDocumentError``...). Nothing is half-written.
  The call returns a :class:`BulkResult` when every item was written and raises
  :class:`BulkWriteError` (listing every failure, and what was written) otherwise.
- Inside ``factory.transaction()`` a bulk call is all or nothing: at the first failing
  item it stops consuming the input, undoes what it wrote (a provider without savepoints
  aborts the whole transaction instead), and raises :class:`BulkWriteError` with
  ``written == 0`` and ``rolled_back`` set.
- A storage failure (``DbUnavailableError``, ``DbTimeoutError``...) is raised as for a
  single call; a note on it says how many items were settled before the failing batch,
  whose items may or may not have been written. ``upsert_many`` is idempotent, so
  re-running it converges; re-running ``insert_many`` reports the items already present
  as ``ResourceAlreadyExistsError`` failures.
"""

from __future__ import annotations

import reprlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from .._text import clip, shorten
from ._errors import DaoError, InvalidDocumentError, InvalidIdError

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "BulkFailure",
    "BulkInsertResult",
    "BulkItem",
    "BulkResult",
    "BulkWriteError",
    "distinct_runs",
    "run_bulk",
]

#: How many items a bulk call sends per round trip unless told otherwise.
DEFAULT_BATCH_SIZE = 1000
#: How many failures a ``BulkWriteError`` message lists (``.failures`` holds all).
_LISTED = 5

T = TypeVar("T")
P = TypeVar("P")
Dto = TypeVar("Dto", bound=BaseModel)

_short = reprlib.Repr()
_short.maxstring = 40
_short.maxother = 40


@dataclass(frozen=True)
class BulkFailure:
    """One item of a bulk call that was not written: where it was, its ID, and why.

    ``position`` counts from 0 in the caller's input; ``error`` is the exception the
    single call would have raised for this item (``InvalidIdError`` for an invalid ID
    given to ``delete_many``, else a ``DaoError``).
    """

    position: int
    id: Any
    error: DaoError | InvalidIdError

    def __str__(self) -> str:
        return f"position {self.position} (ID {_short.repr(self.id)}): {type(self.error).__name__}"


@dataclass(frozen=True)
class BulkResult:
    """What a bulk call that wrote every item returns: how many it wrote."""

    written: int


@dataclass(frozen=True)
class BulkInsertResult(BulkResult, Generic[Dto]):
    """What ``insert_many`` of a surrogate-ID DAO returns: also the created DTOs.

    ``dtos`` holds the DTOs written, in input order (empty when the call was made with
    ``return_dtos=False``, which keeps memory flat for long streams).
    """

    dtos: list[Dto] = field(default_factory=list)


class BulkWriteError(DaoError):
    """Some items of a bulk call were not written.

    ``failures`` lists every item that was not written, in input order; every other
    item of the ``attempted`` ones was written (``written`` of them), unless
    ``rolled_back`` says the call ran in a transaction and undid its writes (then
    ``written`` is 0). ``dtos`` holds the created DTOs that were written (surrogate-ID
    ``insert_many`` only).
    """

    def __init__(
        self,
        *,
        operation: str,
        collection: str,
        attempted: int,
        written: int,
        failures: list[BulkFailure],
        rolled_back: bool = False,
        dtos: list[Any] | None = None,
    ) -> None:
        self.operation = operation
        self.collection = collection
        self.attempted = attempted
        self.written = written
        self.failures = tuple(failures)
        self.rolled_back = rolled_back
        self.dtos = list(dtos or [])
        listed = "; ".join(str(failure) for failure in self.failures[:_LISTED])
        more = len(self.failures) - _LISTED
        if more > 0:
            listed += f"; and {more} more"
        outcome = (
            "the transaction's bulk call was rolled back, so none of them was written"
            if rolled_back
            else f"{written} were written"
        )
        super().__init__(
            f"{clip(operation)} on collection {shorten(collection)}:"
            f" {len(self.failures)} of {attempted}"
            f" item(s) were not written and {outcome}. Not written: {clip(listed)}."
            " See .failures for every item's position, ID and error."
        )


@dataclass
class BulkItem(Generic[P]):
    """One validated item of a batch: its input position, ID and the provider's form.

    ``dto`` is the created DTO of a surrogate-ID insert (returned when written).
    """

    position: int
    id: Any
    value: P
    dto: Any = None


async def _batches(items: Iterable[T] | AsyncIterable[T], size: int) -> AsyncIterator[list[T]]:
    batch: list[T] = []
    if isinstance(items, AsyncIterable):
        async for item in items:
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
    else:
        for item in items:
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def distinct_runs(batch: list[BulkItem[P]]) -> Iterator[list[BulkItem[P]]]:
    """Split a batch, in input order, into runs in which no ID repeats.

    A backend's bulk path writes a run at once; an ID's next item waits for the next
    run, so every item meets what the items before it stored (as one-by-one calls would:
    a unique index sees each intermediate state, a version check the version stored).
    """
    run: list[BulkItem[P]] = []
    ids: set[Any] = set()
    for item in batch:
        if item.id in ids:
            yield run
            run, ids = [], set()
        run.append(item)
        ids.add(item.id)
    if run:
        yield run


def _check_input(items: Any, batch_size: Any) -> int:
    if isinstance(items, BaseModel | str | bytes) or not isinstance(
        items, Iterable | AsyncIterable
    ):
        raise TypeError(
            f"Bulk calls take an iterable or async iterable of items, got {type(items).__name__};"
            " wrap a single item in a list or use the single-item call."
        )
    if batch_size is None:
        return DEFAULT_BATCH_SIZE
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}.")
    return batch_size


async def run_bulk(
    items: Iterable[Any] | AsyncIterable[Any],
    *,
    operation: str,
    collection: str,
    batch_size: int | None,
    prepare: Callable[[int, Any], Awaitable[BulkItem[P]]],
    write: Callable[[list[BulkItem[P]]], Awaitable[list[BulkFailure]]],
    in_transaction: bool,
    rollback: Callable[[], Awaitable[None]] | None = None,
    keep_dtos: bool = False,
) -> BulkInsertResult[Any]:
    """Run a bulk call by the outcome rule of this module; providers supply the hooks.

    ``prepare(position, item)`` validates one item (raising ``InvalidDocumentError`` or
    ``InvalidIdError`` for one that cannot be stored, ``TypeError`` for a wrong type).
    ``write(batch)`` writes a batch with the backend's bulk path and returns the items
    it did not write; it raises the protocol's error for a storage failure.
    ``rollback()`` undoes what the call wrote inside a transaction.
    """
    size = _check_input(items, batch_size)
    attempted = written = 0
    failures: list[BulkFailure] = []
    dtos: list[Any] = []

    def fail(rolled_back: bool) -> BulkWriteError:
        return BulkWriteError(
            operation=operation,
            collection=collection,
            attempted=attempted,
            written=0 if rolled_back else written,
            failures=failures,
            rolled_back=rolled_back,
            dtos=[] if rolled_back else dtos,
        )

    start = 0
    try:
        async for raw_batch in _batches(items, size):
            start = attempted
            attempted += len(raw_batch)
            batch: list[BulkItem[P]] = []
            refused: list[BulkFailure] = []
            for offset, raw in enumerate(raw_batch):
                try:
                    batch.append(await prepare(start + offset, raw))
                except (InvalidDocumentError, InvalidIdError) as error:
                    refused.append(BulkFailure(start + offset, error.id, error))
            del raw_batch
            if refused and in_transaction:
                failures.extend(refused)
                if rollback is not None:
                    await rollback()
                raise fail(rolled_back=True)
            failed = await write(batch) if batch else []
            if failed and in_transaction:
                failures.extend(sorted([*refused, *failed], key=_by_position))
                if rollback is not None:
                    await rollback()
                raise fail(rolled_back=True)
            failed_positions = {failure.position for failure in failed}
            written += len(batch) - len(failed_positions)
            if keep_dtos:
                dtos.extend(item.dto for item in batch if item.position not in failed_positions)
            failures.extend(sorted([*refused, *failed], key=_by_position))
    except (DaoError, TypeError) as error:
        if isinstance(error, TypeError) and in_transaction and rollback is not None:
            await rollback()  # a usage error mid-stream: undo the call's earlier batches
            error.add_note(f"{operation} wrote nothing: its writes in the transaction were undone.")
        elif not isinstance(error, BulkWriteError):
            error.add_note(
                f"{operation} on collection {collection!r} stopped in the batch at input"
                f" positions {start}-{max(start, attempted - 1)}: before it, {written} item(s)"
                f" were written and {len(failures)} were not; items of that batch may or may"
                " not have been written (re-run upsert_many to converge; insert_many reports"
                " the present ones as existing)."
            )
        raise
    if failures:
        raise fail(rolled_back=False)
    return BulkInsertResult(written=written, dtos=dtos)


def _by_position(failure: BulkFailure) -> int:
    return failure.position
