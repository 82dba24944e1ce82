"""Which field types a DTO may have: checked once, when ``get_dao`` builds its spec.

Every type listed here round-trips on every provider (see the mapping tables of the
provider READMEs); anything else is refused before any storage is touched, naming
the field, instead of failing later in a driver. Values typed ``Any`` are checked
when written (see ``_documents``).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import decimal
import enum
import ipaddress
import pathlib
import types
import typing
import uuid
from typing import Annotated, Any, Literal

import pydantic
import pydantic.networks
import pydantic_core
from pydantic import BaseModel

from ._errors import UnsupportedFieldError

__all__ = ["SORTABLE_TYPES", "STRING_STORED_TYPES", "check_field_types", "is_sortable"]

#: Types whose values every provider stores as their text, ``str(value)``, and that
#: validate back from it: URLs and DSNs, paths, IP addresses, networks, interfaces.
STRING_STORED_TYPES: tuple[type, ...] = (
    pydantic.AnyUrl,
    *(
        getattr(pydantic.networks, name)
        for name in dir(pydantic.networks)
        if name.endswith("Dsn") and isinstance(getattr(pydantic.networks, name), type)
    ),
    pydantic_core.Url,
    pydantic_core.MultiHostUrl,
    pydantic.NameEmail,
    pathlib.PurePath,
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
)

_SCALARS: tuple[type, ...] = (
    str,
    int,
    float,
    bool,
    bytes,
    type(None),
    decimal.Decimal,
    datetime.datetime,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
    pydantic.EmailStr,
)

#: Types whose order every provider keeps when sorting (``None`` sorts first).
SORTABLE_TYPES: tuple[type, ...] = (
    str,
    int,
    float,
    decimal.Decimal,
    datetime.datetime,
    datetime.date,
    datetime.time,
    uuid.UUID,
)

_REFUSED: dict[type, str] = {
    pydantic.SecretStr: "a SecretStr dumps as '**********', so the secret would be lost;"
    " store the secret elsewhere (a vault) or as an encrypted str field",
    pydantic.SecretBytes: "a SecretBytes dumps as '**********', so the secret would be lost;"
    " store the secret elsewhere (a vault) or as an encrypted bytes field",
}
_DICT_KEYS: tuple[type, ...] = (str, int, uuid.UUID)
_UNIONS = (typing.Union, types.UnionType)
_SEQUENCES = (list, tuple, set, frozenset)
_MISSING = object()


_ABSTRACT_SEQUENCES = (
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Set,
    collections.abc.MutableSet,
)
_ABSTRACT_MAPPINGS = (collections.abc.Mapping, collections.abc.MutableMapping)
# Core-schema kinds of scalar values every provider stores (seen through validators).
_SCHEMA_KINDS = frozenset(
    {"str", "int", "float", "bool", "bytes", "decimal", "datetime", "date", "time"}
    | {"timedelta", "uuid", "url", "multi-host-url", "enum", "literal", "none"}
)


def _strip(annotation: Any) -> Any:
    """Remove ``Annotated``, ``NewType`` and type-alias wrappers."""
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif isinstance(annotation, typing.NewType):
            annotation = annotation.__supertype__
        elif type(annotation).__name__ == "TypeAliasType":
            annotation = annotation.__value__
        else:
            return annotation


def _schema_kind(annotation: Any) -> str | None:
    """Return the scalar kind pydantic validates ``annotation`` to, seen through validators."""
    try:
        schema: Any = pydantic.TypeAdapter(annotation).core_schema
    except Exception:  # noqa: BLE001 - pydantic cannot build it: the type is unsupported
        return None
    for _ in range(16):
        kind = schema.get("type")
        inner = schema.get("lax_schema") or schema.get("python_schema") or schema.get("schema")
        if kind in _SCHEMA_KINDS or not isinstance(inner, dict):
            return str(kind)
        schema = inner
    return None


def _enum_problem(annotation: type[enum.Enum]) -> str | None:
    for member in annotation:
        if not isinstance(member.value, str | int | float):
            return (
                f"enum {annotation.__name__} has member {member.name} with value"
                f" {member.value!r}; stored enums need str, int or float values"
            )
    return None


def _problem(annotation: Any, seen: set[Any]) -> tuple[str, str] | None:  # noqa: PLR0911, PLR0912
    """Return ``(sub-path, reason)`` for the first unsupported part of ``annotation``."""
    annotation = _strip(annotation)
    if annotation is Any or annotation is object or isinstance(annotation, typing.TypeVar):
        return None  # checked value by value on write
    origin = typing.get_origin(annotation)
    if origin in _ABSTRACT_SEQUENCES:
        origin = list
    elif origin in _ABSTRACT_MAPPINGS:
        origin = dict
    args = typing.get_args(annotation)
    if origin in _UNIONS:
        for arg in args:
            found = _problem(arg, seen)
            if found:
                return found
        return None
    if origin is Literal:
        for value in args:
            if not isinstance(value, str | int | float | bool | type(None) | enum.Enum):
                return "", f"Literal value {value!r} cannot be stored"
        return None
    if origin in _SEQUENCES:
        for arg in args:
            if arg is not Ellipsis:
                found = _problem(arg, seen)
                if found:
                    return f"[]{found[0]}", found[1]
        return None
    if origin is dict or annotation is dict:
        key, value = args or (str, Any)
        key = _strip(key)
        if not (
            (isinstance(key, type) and (issubclass(key, _DICT_KEYS) or issubclass(key, enum.Enum)))
            or typing.get_origin(key) is Literal
        ):
            return (
                "",
                f"dict keys of type {key!r} cannot be stored; use str, int, UUID or enum keys",
            )
        found = _problem(value, seen)
        return (f"[]{found[0]}", found[1]) if found else None
    if origin is not None:
        return "", f"type {annotation!r} is not supported"
    if not isinstance(annotation, type):
        return "", f"type {annotation!r} is not supported"
    if annotation in _REFUSED:
        return "", _REFUSED[annotation]
    if issubclass(annotation, BaseModel) or dataclasses.is_dataclass(annotation):
        if annotation in seen:
            return None
        seen.add(annotation)
        try:
            hints = (
                {name: field.annotation for name, field in annotation.model_fields.items()}
                if issubclass(annotation, BaseModel)
                else typing.get_type_hints(annotation)
            )
        except NameError as error:
            return "", f"{annotation.__name__} has an unresolvable annotation ({error})"
        for name, hint in hints.items():
            found = _problem(hint, seen)
            if found:
                return f".{name}{found[0]}", found[1]
        return None
    if issubclass(annotation, enum.Enum):
        reason = _enum_problem(annotation)
        return ("", reason) if reason else None
    if issubclass(annotation, _SCALARS + STRING_STORED_TYPES):
        return None
    if annotation in _SEQUENCES or annotation is dict:
        return None
    if _schema_kind(annotation) in _SCHEMA_KINDS:
        return None  # e.g. pydantic's AwareDatetime, PastDate, EmailStr
    return "", (
        f"type {annotation.__name__} is not supported; use str, int, float, bool, bytes,"
        " Decimal, datetime, date, time, timedelta, UUID, enums, URLs, paths, IP addresses,"
        " nested models, or lists, sets and dicts of these"
    )


def check_field_types(model: type[BaseModel]) -> None:
    """Raise ``UnsupportedFieldError`` for the first field that no provider can store."""
    seen: set[Any] = {model}
    for name, field in model.model_fields.items():
        found = _problem(field.annotation, seen)
        if found:
            raise UnsupportedFieldError(model=model, field=f"{name}{found[0]}", reason=found[1])


def is_sortable(annotation: Any) -> bool:
    """Return whether every provider sorts values of ``annotation`` the same way."""
    annotation = _strip(annotation)
    origin = typing.get_origin(annotation)
    if origin in _UNIONS:
        return all(is_sortable(arg) for arg in typing.get_args(annotation))
    if origin is Literal:
        kinds = {type(value) for value in typing.get_args(annotation)} - {type(None)}
        return len(kinds) <= 1 and all(issubclass(kind, SORTABLE_TYPES) for kind in kinds)
    if not isinstance(annotation, type) or origin is not None:
        return False
    if annotation is type(None):
        return True
    if issubclass(annotation, enum.Enum):
        kinds = {type(member.value) for member in annotation}
        return len(kinds) == 1 and issubclass(kinds.pop(), str | int)
    return issubclass(annotation, SORTABLE_TYPES)
