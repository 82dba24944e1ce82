"""Resolution of field names and dotted paths against a pydantic model."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

__all__ = ["resolve_path"]


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """Return the model behind an annotation like ``Model`` or ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        models = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(models) == 1:
            return _nested_model(models[0])
    return None


def resolve_path(model: type[BaseModel], path: str) -> Any:
    """Return the annotation that a dotted path names in ``model``.

    Raises ``KeyError`` with a reason when the path does not name a field.
    """
    if not isinstance(path, str) or not path:
        raise KeyError("it must be a non-empty string")
    current: type[BaseModel] | None = model
    annotation: Any = None
    segments = path.split(".")
    for position, segment in enumerate(segments):
        if current is None:
            prefix = ".".join(segments[:position])
            raise KeyError(f"{prefix!r} is not a nested model")
        if "$" in segment:
            raise KeyError("'$' is not allowed in field names")
        field = current.model_fields.get(segment)
        if field is None:
            raise KeyError(f"{current.__name__} has no field {segment!r}")
        annotation = field.annotation
        current = _nested_model(annotation)
    return annotation
