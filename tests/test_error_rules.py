"""Every exception class of the protocols and of every installed provider follows the rules.

The classes are found, not listed: the two protocol packages' public names, every
subclass of their roots (so a provider's own errors and any class added later are
walked too), and the public names of every provider an entry point of group ``hexkit``
installs. Rules:

- ``__module__`` is the public path users import the class from, and importing it from
  there gives the class (tracebacks then show ``hexkit.protocols.dao.DbUnavailableError``);
- an API-misuse error (a ``TypeError``/``ValueError`` about the call's arguments, or a
  ``...ClosedError``) is under its protocol's usage branch; the storage-side data errors
  (a DTO that cannot be stored) are the documented exception;
- a message quotes an offending value shortened (a 1 MB ID gives a short message that
  states the length).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
import types
import typing
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

import pytest
from pydantic import BaseModel

from hexkit.protocols import MAX_QUOTED, dao, objstorage

HUGE = "Z" * 1_000_000
# Under the usage branch of their protocol, although a TypeError/ValueError: these refuse
# data (a DTO that breaks a storage rule), not how the API was called.
DATA_ERRORS: tuple[type[BaseException], ...] = (dao.InvalidDocumentError,)
USAGE_BRANCH: dict[type[BaseException], type[BaseException]] = {
    dao.DaoError: dao.DaoUsageError,
    dao.DaoUsageError: dao.DaoUsageError,
    objstorage.ObjectStorageError: objstorage.ObjectStorageUsageError,
    objstorage.ObjectStorageUsageError: objstorage.ObjectStorageUsageError,
}


def provider_packages() -> list[str]:
    """The package of every provider plugin installed under entry point group ``hexkit``."""
    packages = set()
    for point in entry_points(group="hexkit"):
        parts = point.value.split(":")[0].split(".")
        while parts and parts[-1].startswith("_"):
            parts.pop()
        packages.add(".".join(parts))
    return sorted(packages)


def public_errors(module_name: str) -> Iterator[type[BaseException]]:
    module = importlib.import_module(module_name)
    for name in getattr(module, "__all__", []):
        value = getattr(module, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            yield value


def subclasses(root: type) -> Iterator[type]:
    for child in root.__subclasses__():
        yield child
        yield from subclasses(child)


def walked_errors() -> list[type[BaseException]]:
    found: set[type[BaseException]] = set()
    for module_name in ("hexkit.protocols.dao", "hexkit.protocols.objstorage"):
        found.update(public_errors(module_name))
    for package in provider_packages():
        found.update(public_errors(package))
    for root in USAGE_BRANCH:
        found.update(
            cls
            for cls in subclasses(root)
            if cls.__module__.startswith("hexkit.") and ".testing" not in cls.__module__
        )
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


ERRORS = walked_errors()


def test_the_walk_finds_the_protocol_and_provider_errors() -> None:
    names = {cls.__name__ for cls in ERRORS}
    assert {"DaoError", "InvalidIdError", "BulkWriteError", "StorageClosedError"} <= names
    assert "S3CredentialsError" in names  # a provider's own error, found as a subclass
    assert {"hexkit.providers.memory", "hexkit.providers.s3"} <= set(provider_packages())


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__qualname__)
def test_an_error_names_the_public_module_it_is_imported_from(cls: type) -> None:
    assert not any(part.startswith("_") for part in cls.__module__.split(".")), (
        f"{cls.__qualname__}.__module__ is private: {cls.__module__}"
    )
    assert getattr(importlib.import_module(cls.__module__), cls.__qualname__) is cls


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__qualname__)
def test_an_api_misuse_error_is_under_the_usage_branch(cls: type) -> None:
    misuse = (
        issubclass(cls, TypeError | ValueError) and not issubclass(cls, DATA_ERRORS)
    ) or cls.__name__.endswith("ClosedError")
    roots = [usage for root, usage in USAGE_BRANCH.items() if issubclass(cls, root)]
    if misuse:
        assert roots, f"{cls.__qualname__} is in neither protocol tree"
        assert all(issubclass(cls, usage) for usage in roots), (
            f"{cls.__qualname__} is an API-misuse error outside {roots[0].__name__}"
        )


class _Model(BaseModel):
    id: str


def _value(annotation: Any) -> Any:  # noqa: PLR0911 - one return per kind of type
    """A value of ``annotation`` in which every text is huge."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return _value(next(arg for arg in args if arg is not type(None)))
    if annotation is type or origin is type:
        return _Model
    if annotation in (str, object, Any) or isinstance(annotation, typing.TypeVar):
        return HUGE
    if annotation is bool:
        return True
    if annotation in (int, float):
        return annotation(7)
    if isinstance(annotation, type) and issubclass(annotation, BaseException):
        return ValueError(HUGE)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        hints = typing.get_type_hints(annotation)
        return annotation(**{f.name: _value(hints[f.name]) for f in dataclasses.fields(annotation)})
    if origin is not None and args:
        name = getattr(origin, "__name__", "")
        if name in ("Mapping", "dict", "MutableMapping"):
            return {HUGE: _value(args[1])}
        return [_value(args[0])] * 3
    raise AssertionError(f"no huge value for {annotation!r}; teach _value this type")


def _build(cls: type[BaseException]) -> BaseException:
    init = cls.__init__
    signature = inspect.signature(init)
    params = [
        p
        for name, p in signature.parameters.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if not params:
        return cls()
    hints = typing.get_type_hints(init, globalns=vars(inspect.getmodule(init)))
    # A base class's ``message`` is its raiser's own text, written by code: keep it short.
    values = {p.name: "message" if p.name == "message" else _value(hints[p.name]) for p in params}
    positional = [values[p.name] for p in params if p.kind is not p.KEYWORD_ONLY]
    keywords = {p.name: values[p.name] for p in params if p.kind is p.KEYWORD_ONLY}
    return cls(*positional, **keywords)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__qualname__)
def test_an_error_message_quotes_huge_values_shortened_with_their_length(cls: type) -> None:
    if not _own_init(cls):
        return  # the raiser writes the message (DbTimeoutError("...")): nothing to quote
    message = str(_build(cls))
    longest = max((len(run) for run in re.findall("Z{3,}", message)), default=0)
    # A value is quoted to MAX_QUOTED characters; free text (a reason) to twice that.
    assert longest <= 2 * MAX_QUOTED, f"{cls.__qualname__} quotes {longest} characters"
    assert len(message) <= 3_000, f"{cls.__qualname__}: {len(message)} characters"
    if longest:
        assert re.search(r"\d{7,}", message), f"{cls.__qualname__} does not state the length"


def _own_init(cls: type) -> bool:
    """Whether ``cls`` or a base below the builtins defines the message."""
    return any("__init__" in vars(base) for base in cls.__mro__ if base.__module__ != "builtins")
