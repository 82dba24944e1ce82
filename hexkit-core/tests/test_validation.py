"""Argument rules of both protocols, checked without any provider."""

from __future__ import annotations

import re
import uuid

import pytest
from pydantic import BaseModel

from hexkit.protocols import shorten
from hexkit.protocols.dao import Index, InvalidFindMappingError, InvalidIdError, build_spec
from hexkit.protocols.objstorage import (
    BucketIdValidationError,
    MultiPartUploadConfirmError,
    ObjectIdValidationError,
    UploadedPart,
    check_parts,
    validate_bucket_id,
    validate_object_id,
)


class Inner(BaseModel):
    city: str


class Outer(BaseModel):
    key: uuid.UUID
    inner: Inner
    maybe_inner: Inner | None = None
    count: int = 0


@pytest.mark.parametrize(
    "bucket_id", ["abc", "a" * 63, "my-bucket.v2", "0start", "end9", "a-b.c-d", "1.2.3"]
)
def test_valid_bucket_ids(bucket_id: str) -> None:
    validate_bucket_id(bucket_id)


@pytest.mark.parametrize(
    ("bucket_id", "rule"),
    [
        ("ab", "it has 2 characters"),
        ("a" * 64, "it has 64 characters"),
        ("A-bucket", "characters other than"),
        ("a_b", "characters other than"),
        ("ab.", "start and end with a letter or digit"),
        (".ab", "start and end with a letter or digit"),
        ("-ab", "start and end with a letter or digit"),
        ("a..b", "two adjacent periods"),
        ("10.0.0.1", "formatted as an IP address"),
        ("xn--bcher-kva", "starts with 'xn--'"),
        ("sthree-bucket", "starts with 'sthree-'"),
        ("sthree-configurator", "starts with 'sthree-'"),
        ("amzn-s3-demo-bucket", "starts with 'amzn-s3-demo-'"),
        ("data-s3alias", "ends with '-s3alias'"),
        ("data--ol-s3", "ends with '--ol-s3'"),
        ("data.mrap", "ends with '.mrap'"),
        ("data--x-s3", "ends with '--x-s3'"),
        ("data--table-s3", "ends with '--table-s3'"),
        (5, "must be a string"),
    ],
)
def test_invalid_bucket_ids_name_the_value_and_the_rule(bucket_id: str, rule: str) -> None:
    with pytest.raises(BucketIdValidationError) as info:
        validate_bucket_id(bucket_id)
    assert repr(bucket_id) in str(info.value)
    assert rule in str(info.value)


@pytest.mark.parametrize(
    "bucket_id",
    ["xn-ab", "sthree", "my-sthree-x", "s3alias", "a-s3alias-b", "mrap", "x-s3", "a.mra"],
)
def test_reserved_words_elsewhere_in_a_bucket_id_are_fine(bucket_id: str) -> None:
    validate_bucket_id(bucket_id)


@pytest.mark.parametrize(
    "object_id", ["a", "x" * 1024, "dir/sub/file.tar.gz", "a-b_c.d", ".hidden"]
)
def test_valid_object_ids(object_id: str) -> None:
    validate_object_id(object_id)


@pytest.mark.parametrize("object_id", ["", "x" * 1025, "/abs", "a/", "./a", "a/../b", "a b", "a?b"])
def test_invalid_object_ids(object_id: str) -> None:
    with pytest.raises(ObjectIdValidationError) as info:
        validate_object_id(object_id)
    assert shorten(object_id) in str(info.value)


def test_an_invalid_id_far_over_the_limit_is_quoted_shortened_with_its_length() -> None:
    with pytest.raises(ObjectIdValidationError) as info:
        validate_object_id("x" * 1_000_000)
    assert len(str(info.value)) < 600
    assert "1000000 characters" in str(info.value)
    assert info.value.object_id == "x" * 1_000_000  # the attribute keeps the whole value


def _parts(*sizes: int) -> list[UploadedPart]:
    return [UploadedPart(number, size, "etag") for number, size in enumerate(sizes, start=1)]


def test_check_parts_accepts_a_smaller_last_part() -> None:
    check_parts(
        _parts(10, 10, 3),
        upload_id="u",
        bucket_id="b",
        object_id="o",
        anticipated_part_quantity=3,
        anticipated_part_size=10,
    )


def test_check_parts_says_what_is_wrong() -> None:
    with pytest.raises(MultiPartUploadConfirmError, match="part 2 has 9 bytes, 10 anticipated"):
        check_parts(
            _parts(10, 9, 3),
            upload_id="u",
            bucket_id="b",
            object_id="o",
            anticipated_part_quantity=None,
            anticipated_part_size=10,
        )


def test_find_query_validates_values_into_field_types() -> None:
    spec = build_spec(name="things", dto_model=Outer, id_field="key")
    key = uuid.uuid4()
    query = spec.find_query({"key": str(key), "inner.city": "x", "count": "3"})
    assert query.conditions == (("key", key), ("inner.city", "x"), ("count", 3))


@pytest.mark.parametrize(
    "key", ["maybe_inner.city", "inner.city", "key", "count", "inner", "maybe_inner"]
)
def test_nested_paths_through_optional_models_resolve(key: str) -> None:
    spec = build_spec(name="things", dto_model=Outer, id_field="key", indexes=[Index(key)])
    assert spec.indexes == (Index(key),)


@pytest.mark.parametrize(
    ("mapping", "reason"),
    [
        ({"count.x": 1}, "not a nested model"),
        ({"inner.$eq": "x"}, "'$'"),
        ({"$or": []}, "'$'"),
        ({"count": {"$gt": 1}}, "does not fit"),
        ({"missing": 1}, "no field 'missing'"),
    ],
)
def test_bad_find_keys_say_why(mapping: dict[str, object], reason: str) -> None:
    spec = build_spec(name="things", dto_model=Outer, id_field="key")
    with pytest.raises(InvalidFindMappingError, match=re.escape(reason)):
        spec.find_query(mapping)


def test_invalid_ids_are_rejected_before_storage() -> None:
    spec = build_spec(name="things", dto_model=Outer, id_field="key")
    with pytest.raises(InvalidIdError, match="'not-a-uuid'"):
        spec.validate_id("not-a-uuid")


def test_index_needs_fields_and_distinct_ones() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Index()
    with pytest.raises(ValueError, match="distinct"):
        Index("a", "a")
    assert repr(Index("a", unique=True)) == "Index('a', unique=True)"


def test_a_model_with_unresolvable_annotations_gets_a_clear_error() -> None:
    class Later(BaseModel):
        key: str
        other: NotDefinedYet  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(TypeError, match=r"Later.model_rebuild\(\)"):
        build_spec(name="later", dto_model=Later, id_field="key")
