"""Running a step's transforms over a batch and validating what comes out; dry runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from hexkit.protocols.dao import InvalidDocumentError, ValidatedDto, check_document

from ._errors import MigrationDefinitionError, MigrationTransformError
from ._migration import Step
from ._store import MigrationState, MigrationStore
from ._transforms import Document

__all__ = ["Failure", "StepReport", "Validated", "dry_run_step", "transform_batch", "validate"]


@dataclass(frozen=True)
class Failure:
    """A migrated document that does not validate, as a dry run reports it."""

    version: int
    collection: str
    id: Any
    field: str | None
    reason: str


@dataclass(frozen=True)
class StepReport:
    """What one step did (or, in a dry run, would do)."""

    version: int
    previous: int
    direction: str
    documents: dict[str, int]
    removed: tuple[str, ...]
    failures: tuple[Failure, ...] = ()
    invalid: int = 0
    seconds: float = 0.0


def transform_batch(
    step: Step, collection: str, batch: Sequence[Document]
) -> list[tuple[str, Document, Any]]:
    """Run the step's transforms over documents of ``collection``.

    Returns ``(target collection, document, source ID)`` triples.
    """
    id_field = step.id_fields[collection]
    out: list[tuple[str, Document, Any]] = []
    for document in batch:
        source_id = document.get(id_field)
        items = [(collection, document)]
        for transform in step.transforms:
            next_items: list[tuple[str, Document]] = []
            for name, item in items:
                if name not in transform.reads:
                    next_items.append((name, item))
                    continue
                try:
                    next_items.extend(transform.apply(name, item, step.id_fields))
                except Exception as error:
                    raise MigrationTransformError(
                        version=step.version, before=step.previous, collection=name, id_=source_id
                    ) from error
            items = next_items
        for name, item in items:
            if name not in step.specs:
                raise MigrationDefinitionError(
                    version=step.version,
                    reason=f"a transform moved the document with ID {source_id!r} of"
                    f" {collection!r} to collection {name!r}, which the step's models do not"
                    " name; add a model for it",
                )
            out.append((name, item, source_id))
    return out


@dataclass(frozen=True)
class Validated:
    """A validated document, or why it failed (``checked`` is then ``None``)."""

    checked: ValidatedDto[Any] | None
    id: Any
    field: str | None = None
    reason: str = ""


def validate(step: Step, collection: str, document: Document) -> Validated:
    """Validate a migrated document against its collection's model and the storage rules."""
    spec = step.specs[collection]
    id_ = document.get(spec.id_field)
    try:
        dto = spec.dto_model.model_validate(document, by_name=True, strict=False)
        # Freshly validated, so only the storage rules are left to check (validate_dto
        # would validate it again, for DTOs a caller may have built or changed).
        dumped = dto.model_dump()
        key = dumped[spec.id_field]
        size = check_document(dumped, collection=spec.name, id_=key)
        checked = ValidatedDto(id=key, dto=dto, document=dumped, size=size)
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        reason = f"{first['msg']} ({spec.dto_model.__name__})"
        return Validated(checked=None, id=id_, field=where, reason=reason)
    except InvalidDocumentError as error:
        return Validated(checked=None, id=id_, field=error.field, reason=error.reason)
    return Validated(checked=checked, id=checked.id)


async def _documents(
    store: MigrationStore,
    state: MigrationState,
    steps: Sequence[Step],
    position: int,
    collection: str,
    batch_size: int,
) -> AsyncIterator[list[Document]]:
    """Yield batches of ``collection`` as it would be before ``steps[position]``."""
    if position == 0:
        id_field = steps[0].id_fields[collection]
        async for batch in store.read_batches(
            state.physical(collection), id_field=id_field, batch_size=batch_size
        ):
            yield batch
        return
    before = steps[position - 1]
    if collection in before.removed:
        return
    if collection not in before.specs:
        # Read with the ID field of the step that asks: earlier steps may not know it.
        earlier = [*steps[: position - 1], steps[position]]
        async for batch in _documents(store, state, earlier, position - 1, collection, batch_size):
            yield batch
        return
    for read in before.reads:
        async for batch in _documents(store, state, steps, position - 1, read, batch_size):
            out = []
            for name, document, _ in transform_batch(before, read, batch):
                result = validate(before, name, document) if name == collection else None
                if result is not None and result.checked is not None:
                    out.append(result.checked.document)
            if out:
                yield out


async def dry_run_step(
    store: MigrationStore,
    state: MigrationState,
    steps: Sequence[Step],
    position: int,
    *,
    batch_size: int,
    max_failures: int,
) -> StepReport:
    """Count and validate what ``steps[position]`` would write, writing nothing."""
    step = steps[position]
    counts = dict.fromkeys(step.specs, 0)
    failures: list[Failure] = []
    invalid = 0
    for read in step.reads:
        async for batch in _documents(store, state, steps, position, read, batch_size):
            for name, document, _ in transform_batch(step, read, batch):
                result = validate(step, name, document)
                if result.checked is not None:
                    counts[name] += 1
                    continue
                invalid += 1
                if len(failures) < max_failures:
                    failures.append(
                        Failure(step.version, name, result.id, result.field, result.reason)
                    )
    return StepReport(
        version=step.version,
        previous=step.previous,
        direction=step.direction,
        documents=counts,
        removed=step.removed,
        failures=tuple(failures),
        invalid=invalid,
    )
