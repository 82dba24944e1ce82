"""What a provider needs to know to build a DAO, validated before any storage is touched."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from ._cursor import CursorSigner, Position
from ._documents import check_document, check_indexed, indexed_value_problem, value_problem
from ._errors import (
    CreationModelError,
    DaoNameError,
    IdFieldError,
    IndexFieldError,
    InvalidCursorError,
    InvalidDocumentError,
    InvalidFindMappingError,
    InvalidIdError,
    MultipleHitsFoundError,
    NoHitsFoundError,
)
from ._normal import normalize, normalize_model
from ._paths import resolve_path
from ._types import check_field_types, is_sortable
from ._versions import check_version_field

__all__ = [
    "DaoSpec",
    "FindQuery",
    "IdGenerator",
    "IdType",
    "Index",
    "ValidatedDto",
    "build_spec",
    "single_hit",
]

Dto = TypeVar("Dto", bound=BaseModel)
T = TypeVar("T")
IdType = Literal["str", "int", "uuid"]
IdGenerator = Callable[[], Any] | Callable[[], Awaitable[Any]]

_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ID_TYPES: dict[Any, IdType] = {str: "str", int: "int", uuid.UUID: "uuid"}


class Index:
    """An index over one or more fields (names or dotted paths into nested models)."""

    __slots__ = ("fields", "unique")

    def __init__(self, *fields: str, unique: bool = False) -> None:
        if not fields:
            raise ValueError("Index() needs at least one field name.")
        if len(set(fields)) != len(fields):
            raise ValueError(f"Index fields must be distinct, got {list(fields)}.")
        self.fields: tuple[str, ...] = tuple(fields)
        self.unique: bool = unique

    def __repr__(self) -> str:
        args = ", ".join(repr(name) for name in self.fields)
        return f"Index({args}, unique={self.unique})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Index):
            return NotImplemented
        return (self.fields, self.unique) == (other.fields, other.unique)

    def __hash__(self) -> int:
        return hash((self.fields, self.unique))


@dataclass(frozen=True)
class FindQuery:
    """A validated find: equality conditions, paging and sort order.

    ``conditions`` holds ``(path, value)`` pairs whose values were validated against
    the field's type, so they compare equal to what ``insert`` stored.
    ``sort`` holds ``(path, descending)`` pairs. ``after`` is the decoded position of an
    ``after=`` cursor: only items strictly after it in the find's total order match.
    """

    conditions: tuple[tuple[str, Any], ...]
    skip: int = 0
    limit: int | None = None
    sort: tuple[tuple[str, bool], ...] = ()
    after: Position | None = None


@dataclass(frozen=True)
class ValidatedDto(Generic[Dto]):
    """A DTO checked for a write: what a provider stores, never the caller's instance.

    ``dto`` is a fresh instance validated against the model, ``id`` its ID, and
    ``document`` its ``model_dump()`` (Python mode, ID included), which keeps every
    rule of ``_documents``; ``size`` is the document's size as the rules count it.
    """

    id: Any
    dto: Dto
    document: dict[str, Any]
    size: int


@dataclass(frozen=True)
class DaoSpec(Generic[Dto]):
    """A validated DAO request: providers build their DAO from this."""

    name: str
    dto_model: type[Dto]
    id_field: str
    id_type: IdType
    indexes: tuple[Index, ...] = ()
    dto_creation_model: type[BaseModel] | None = None
    id_generator: IdGenerator | None = None
    #: The int field versioned writes check and bump (see ``_versions``), or ``None``.
    version_field: str | None = None
    _adapters: dict[str, TypeAdapter[Any]] = field(default_factory=dict, repr=False, compare=False)

    @functools.cached_property
    def _indexed_paths(self) -> tuple[str, ...]:
        """The ID field and every indexed path, each once."""
        paths = dict.fromkeys([self.id_field, *(p for index in self.indexes for p in index.fields)])
        return tuple(paths)

    def annotation_of(self, path: str) -> Any:
        """Return the annotation that ``path`` names, or raise ``KeyError``."""
        return resolve_path(self.dto_model, path)

    def _adapter(self, path: str) -> TypeAdapter[Any]:
        adapter = self._adapters.get(path)
        if adapter is None:
            adapter = TypeAdapter(self.annotation_of(path))
            self._adapters[path] = adapter
        return adapter

    def validate_id(self, id_: Any) -> Any:
        """Return ``id_`` as the ID field's type, or raise ``InvalidIdError``."""
        try:
            key = self._adapter(self.id_field).validate_python(id_, strict=False)
        except ValidationError:
            raise InvalidIdError(id_=id_, expected=self.id_type) from None
        problem = indexed_value_problem(key)
        if problem:
            raise InvalidIdError(id_=id_, expected=self.id_type, reason=problem)
        return key

    def validate_dto(self, dto: Any) -> ValidatedDto[Dto]:
        """Check a DTO before it is written, as reads check stored documents.

        A DTO built with ``model_construct`` or changed after construction may hold
        values its model refuses; it is validated again, so what is stored is what
        a later read accepts. Raises ``TypeError`` for a DTO of another model and
        ``InvalidDocumentError`` (naming the field) for one that cannot be stored.
        """
        model = self.dto_model
        if not isinstance(dto, model):
            raise TypeError(f"Expected a {model.__name__} instance, got {type(dto).__name__}.")
        raw_id = dto.__dict__.get(self.id_field)
        try:
            document = dto.model_dump(warnings=False)
            validated = model.model_validate(document, by_name=True)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or None
            raise InvalidDocumentError(
                collection=self.name,
                id_=raw_id,
                field=where,
                reason=f"does not validate against {model.__name__} ({first['msg']});"
                " build DTOs with the model's constructor or model_validate()",
            ) from None
        except Exception as error:  # model_dump fails in many ways on broken instances
            raise InvalidDocumentError(
                collection=self.name,
                id_=raw_id,
                field=None,
                reason=f"cannot be dumped ({error}); build DTOs with the model's"
                " constructor or model_validate()",
            ) from error
        if validated.__dict__ != dto.__dict__:
            document = validated.model_dump()  # validation changed values: store its result
        normal = normalize_model(validated)
        if normal is not validated:  # store (and return) what every provider reads back
            validated = normal
            document = validated.model_dump()
        key = document[self.id_field]
        size = check_document(document, collection=self.name, id_=key)
        check_indexed(document, self._indexed_paths, collection=self.name, id_=key)
        return ValidatedDto(id=key, dto=validated, document=document, size=size)

    def read_back(self, dto: Dto) -> Dto:
        """Return a deep copy of a stored DTO as every provider's reads return it.

        A deep copy rebuilds sets in their iteration order, after which they may iterate
        (and serialise) differently; this rebuilds them in the read-back form (``_normal``).
        Providers return DTOs they already hold (a surrogate-ID insert) through it.
        """
        return normalize_model(dto.model_copy(deep=True))

    async def new_id(self) -> Any:
        """Make an ID for a surrogate-ID insert."""
        if self.id_generator is not None:
            value = self.id_generator()
            if inspect.isawaitable(value):
                value = await value
            return self.validate_id(value)
        new = uuid.uuid4()
        return new if self.id_type == "uuid" else str(new)

    async def new_dto(self, creation: BaseModel) -> Dto:
        """Build the full DTO for a surrogate-ID insert: the creation's values and a new ID."""
        creation_model = self.dto_creation_model
        if creation_model is None:
            raise TypeError(f"DAO {self.name!r} has no creation model; insert full DTOs.")
        if not isinstance(creation, creation_model):
            raise TypeError(
                f"Expected a {creation_model.__name__} instance, got {type(creation).__name__}."
            )
        id_ = await self.new_id()
        try:
            values = {name: getattr(creation, name) for name in creation_model.model_fields}
            values[self.id_field] = id_
            full = self.dto_model.model_validate(values, by_name=True)
        except (AttributeError, ValidationError) as error:
            if isinstance(error, ValidationError):
                where = ".".join(str(part) for part in error.errors()[0]["loc"]) or None
            else:
                where = error.name  # the field model_construct left unset
            raise InvalidDocumentError(
                collection=self.name,
                id_=id_,
                field=where,
                reason=f"the {creation_model.__name__} does not make a valid"
                f" {self.dto_model.__name__} ({error}); build it with its constructor or"
                " model_validate()",
            ) from None
        return normalize_model(full)

    def find_query(
        self,
        mapping: Mapping[str, Any],
        *,
        skip: int | None = None,
        limit: int | None = None,
        sort: Sequence[str] | None = None,
        after: str | None = None,
        signer: CursorSigner | None = None,
    ) -> FindQuery:
        """Validate a find request; raise before any storage is touched.

        ``after`` is a cursor from a previous page's ``next_cursor``, checked with
        ``signer`` (the factory's); a cursor that does not fit raises
        ``InvalidCursorError``, as does ``after`` together with ``skip``.
        """
        if not isinstance(mapping, Mapping):
            raise TypeError(f"The find mapping must be a mapping, got {mapping!r}.")
        for label, number in (("skip", skip), ("limit", limit)):
            if number is not None and (
                not isinstance(number, int) or isinstance(number, bool) or number < 0
            ):
                raise ValueError(f"{label} must be a non-negative integer or None, got {number!r}.")
        conditions = tuple(
            (key, self._validate_value(mapping, key, value)) for key, value in mapping.items()
        )
        query = FindQuery(
            conditions=conditions,
            skip=skip or 0,
            limit=limit,
            sort=self._validate_sort(sort),
        )
        if after is None:
            return query
        if skip is not None:
            raise InvalidCursorError(
                reason="after= cannot be combined with skip= (a cursor already says where"
                " the page starts); drop skip"
            )
        position = (signer or CursorSigner()).decode(self, query, after)
        return dataclasses.replace(query, after=position)

    def json_value(self, path: str, value: Any) -> Any:
        """Return a value of the field at ``path`` in its JSON form (for cursors)."""
        if value is None:
            return None
        return self._adapter(path).dump_python(value, mode="json")

    def from_json_value(self, path: str, value: Any) -> Any:
        """Return the field's value from its JSON form; raise ``ValidationError``."""
        if value is None:
            return None
        return self._adapter(path).validate_python(value, strict=False)

    def _validate_value(self, mapping: Mapping[str, Any], key: Any, value: Any) -> Any:
        if not isinstance(key, str):
            raise InvalidFindMappingError(
                mapping=mapping, key=repr(key), reason="keys must be strings"
            )
        if key.startswith("$") or "$" in key:
            raise InvalidFindMappingError(
                mapping=mapping, key=key, reason="'$' marks query operators, which are not allowed"
            )
        try:
            adapter = self._adapter(key)
        except KeyError as error:
            raise InvalidFindMappingError(mapping=mapping, key=key, reason=error.args[0]) from None
        try:
            validated = adapter.validate_python(value, strict=False)
        except ValidationError as error:
            reason = f"value {value!r} does not fit the field ({error.errors()[0]['msg']})"
            raise InvalidFindMappingError(mapping=mapping, key=key, reason=reason) from None
        problem = value_problem(validated)
        if problem:
            reason = f"value {value!r} can never be stored: {problem}"
            raise InvalidFindMappingError(mapping=mapping, key=key, reason=reason)
        # In the read-back form stored values have (dict keys in one order, decimals and
        # datetimes normalised), so a backend comparing forms, not meanings, still matches.
        return normalize(validated)

    def _validate_sort(self, sort: Sequence[str] | None) -> tuple[tuple[str, bool], ...]:
        if sort is None:
            return ()
        if isinstance(sort, str) or not isinstance(sort, Sequence):
            raise TypeError(f"sort must be a list of field names, got {sort!r}.")
        result: list[tuple[str, bool]] = []
        for item in sort:
            if not isinstance(item, str):
                raise InvalidFindMappingError(
                    mapping=None, key=repr(item), reason="sort keys must be strings"
                )
            descending = item.startswith("-")
            path = item[1:] if descending else item
            try:
                annotation = self.annotation_of(path)
            except KeyError as error:
                raise InvalidFindMappingError(
                    mapping=None, key=item, reason=f"cannot sort by it: {error.args[0]}"
                ) from None
            if not is_sortable(annotation):
                raise InvalidFindMappingError(
                    mapping=None,
                    key=item,
                    reason=f"cannot sort by it: its type {annotation!r} has no order that every"
                    " provider keeps (sort by str, numbers, Decimal, dates, times, UUIDs or"
                    " enums of str or int)",
                )
            if any(path == seen for seen, _ in result):
                raise InvalidFindMappingError(mapping=None, key=item, reason="sorted by twice")
            result.append((path, descending))
        return tuple(result)


def single_hit(hits: Sequence[T], mapping: Mapping[str, Any]) -> T:
    """Return the only hit of a ``find_one``; ``NoHitsFoundError``/``MultipleHitsFoundError``."""
    if not hits:
        raise NoHitsFoundError(mapping=mapping)
    if len(hits) > 1:
        raise MultipleHitsFoundError(mapping=mapping)
    return hits[0]


def build_spec(
    *,
    name: str,
    dto_model: type[Dto],
    id_field: str,
    indexes: Sequence[Index] | None = None,
    dto_creation_model: type[BaseModel] | None = None,
    id_generator: IdGenerator | None = None,
    version_field: str | None = None,
) -> DaoSpec[Dto]:
    """Validate ``get_dao`` arguments and return the spec a provider builds from."""
    if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name):
        raise DaoNameError(name=name)
    if not (isinstance(dto_model, type) and issubclass(dto_model, BaseModel)):
        raise TypeError(f"dto_model must be a pydantic model class, got {dto_model!r}.")
    id_type = _id_type(dto_model, id_field)
    check_field_types(dto_model)
    if dto_creation_model is not None:
        _check_creation_model(dto_model, id_field, dto_creation_model)
    elif id_generator is not None:
        raise TypeError("id_generator is only used together with dto_creation_model.")
    if dto_creation_model is not None and id_type == "int" and id_generator is None:
        raise IdFieldError(
            model=dto_model,
            field=id_field,
            reason="integer IDs cannot be generated by default; pass id_generator=",
        )
    checked_indexes = tuple(_check_index(dto_model, index) for index in indexes or ())
    if version_field is not None:
        check_version_field(dto_model, version_field, id_field)
    return DaoSpec(
        name=name,
        dto_model=dto_model,
        id_field=id_field,
        id_type=id_type,
        indexes=checked_indexes,
        dto_creation_model=dto_creation_model,
        id_generator=id_generator,
        version_field=version_field,
    )


def _ensure_complete(model: type[BaseModel]) -> None:
    """Resolve the model's postponed annotations, or say how to fix them."""
    if model.__pydantic_complete__:
        return
    try:
        model.model_rebuild(raise_errors=True)
    except Exception as error:  # pydantic raises several kinds here; all mean "not resolvable"
        raise TypeError(
            f"{model.__name__} has annotations pydantic cannot resolve yet ({error}); define"
            f" the types it refers to and call {model.__name__}.model_rebuild() first."
        ) from error


def _id_type(dto_model: type[BaseModel], id_field: str) -> IdType:
    _ensure_complete(dto_model)
    field_info = dto_model.model_fields.get(id_field)
    if field_info is None:
        raise IdFieldError(model=dto_model, field=id_field, reason="the model has no such field")
    id_type = _ID_TYPES.get(field_info.annotation)
    if id_type is None:
        raise IdFieldError(
            model=dto_model,
            field=id_field,
            reason=f"its type {field_info.annotation!r} is not supported",
        )
    return id_type


def _check_creation_model(
    dto_model: type[BaseModel], id_field: str, creation_model: type[BaseModel]
) -> None:
    if not (isinstance(creation_model, type) and issubclass(creation_model, BaseModel)):
        raise TypeError(
            f"dto_creation_model must be a pydantic model class, got {creation_model!r}."
        )
    expected = set(dto_model.model_fields) - {id_field}
    actual = set(creation_model.model_fields)
    if actual != expected:
        raise CreationModelError(
            model=creation_model, missing=expected - actual, unexpected=actual - expected
        )


def _check_index(dto_model: type[BaseModel], index: Index) -> Index:
    if not isinstance(index, Index):
        raise TypeError(f"indexes must hold Index objects, got {index!r}.")
    for path in index.fields:
        try:
            resolve_path(dto_model, path)
        except KeyError as error:
            raise IndexFieldError(model=dto_model, field=path, reason=error.args[0]) from None
    return index
