"""The conformance kits fail for providers with planted bugs (so a green kit means something)."""

from __future__ import annotations

import textwrap

import pytest

HEADER = """
from collections.abc import AsyncIterator

import pytest_asyncio

from hexkit.providers.memory import (
    MemoryDaoConfig,
    MemoryDaoFactory,
    MemoryObjectStorage,
    MemoryObjectStorageConfig,
    MemoryTransfer,
)
from hexkit.providers.memory._dao import MemoryDao
from hexkit.providers.memory._migrations import MemoryMigrationStore
from hexkit.testing import DaoConformance, MigrationConformance, ObjectStorageConformance
"""

DAO_SUITE = """
class TestBuggyDao(DaoConformance):
    @pytest_asyncio.fixture
    async def dao_factory(self) -> AsyncIterator[MemoryDaoFactory]:
        yield MemoryDaoFactory(MemoryDaoConfig())
"""

MIGRATION_SUITE = """
class TestBuggyMigrations(MigrationConformance):
    @pytest_asyncio.fixture
    async def dao_factory(self) -> AsyncIterator[MemoryDaoFactory]:
        yield MemoryDaoFactory(MemoryDaoConfig())
"""

STORAGE_SUITE = """
class TestBuggyStorage(ObjectStorageConformance):
    @pytest_asyncio.fixture
    async def storage(self) -> AsyncIterator[MemoryObjectStorage]:
        async with Buggy.construct(config=MemoryObjectStorageConfig()) as storage:
            yield storage

    @pytest_asyncio.fixture
    async def transfer(self) -> MemoryTransfer:
        return MemoryTransfer()
"""

DAO_BUGS = {
    "aliasing": (
        """
        async def get_by_id(self, id_):
            return self._read(self._spec.validate_id(id_))
        MemoryDao.get_by_id = get_by_id
        """,
        "test_callers_cannot_alias_stored_state",
    ),
    "skip-ignored": (
        """
        original = MemoryDao.find_all
        def find_all(self, *, mapping, skip=None, limit=None, sort=None):
            return original(self, mapping=mapping, limit=limit, sort=sort)
        MemoryDao.find_all = find_all
        """,
        "test_skip_limit_and_sort",
    ),
    "no-rollback": (
        """
        from contextlib import asynccontextmanager
        @asynccontextmanager
        async def transaction(self):
            yield
        MemoryDaoFactory.transaction = transaction
        """,
        "test_an_exception_rolls_every_write_back",
    ),
    "version-not-checked": (
        """
        MemoryDao._check_version = lambda self, id_, expected, stored: None
        """,
        "test_a_stale_update_raises_and_writes_nothing",
    ),
    "versioned-upsert-many-unchecked": (
        """
        from hexkit.protocols.dao import stamp_version
        def upsert_unchecked(self, checked):
            version = checked.document.get(self._spec.version_field or "", 0)
            checked = stamp_version(self._spec, checked, version + 1)
            self._write(checked.id, checked.dto)
            return checked.dto
        MemoryDao._upsert = upsert_unchecked
        """,
        "test_versioned_upsert_many_checks_each_item_in_input_order",
    ),
    "upsert-only-updates": (
        """
        MemoryDao.upsert = MemoryDao.update
        """,
        "test_upsert_inserts_then_replaces",
    ),
    "bulk-insert-drops-failures": (
        """
        from hexkit.protocols.dao import BulkResult, DaoError
        async def insert_many(self, dtos, *, batch_size=None):
            written = 0
            for dto in dtos:
                try:
                    await self.insert(dto)
                    written += 1
                except DaoError:
                    pass
            return BulkResult(written=written)
        MemoryDao.insert_many = insert_many
        """,
        "test_insert_many_reports_each_item_not_written_and_writes_the_rest",
    ),
    "bulk-half-written-in-a-transaction": (
        """
        import hexkit.providers.memory._dao as memory_dao
        original_run_bulk = memory_dao.run_bulk
        async def run_bulk(items, **hooks):
            return await original_run_bulk(items, **{**hooks, "rollback": None})
        memory_dao.run_bulk = run_bulk
        """,
        "test_a_failed_bulk_call_caught_in_a_transaction_left_nothing_behind",
    ),
    "count-ignores-the-mapping": (
        """
        async def count(self, *, mapping):
            return len(self._matches(self._spec.find_query({})))
        MemoryDao.count = count
        """,
        "test_count_equals_the_number_of_find_all_hits",
    ),
}

MIGRATION_BUGS = {
    "lock-always-granted": (
        """
        async def acquire_lock(self, owner, ttl):
            return True
        MemoryMigrationStore.acquire_lock = acquire_lock
        """,
        "test_of_two_runners_one_migrates_and_the_other_waits",
    ),
    "no-duplicate-id-check": (
        """
        async def write_batch(self, collection, *, id_field, documents):
            for document in documents:
                self._collections[collection].write(document.id, document.dto)
        MemoryMigrationStore.write_batch = write_batch
        """,
        "test_two_documents_with_one_new_id_fail_the_step",
    ),
    "one-batch-for-everything": (
        """
        original = MemoryMigrationStore.read_batches
        def read_batches(self, collection, *, id_field, batch_size):
            return original(self, collection, id_field=id_field, batch_size=10**9)
        MemoryMigrationStore.read_batches = read_batches
        """,
        "test_a_collection_larger_than_the_batch_size_migrates_in_batches",
    ),
    "staging-is-the-live-collection": (
        """
        async def create_staging(self, collection):
            from hexkit.providers.memory._state import Collection
            live = self._collections.setdefault(collection.split("~")[0], Collection("live"))
            self._collections[collection] = live
        MemoryMigrationStore.create_staging = create_staging
        """,
        "test_a_document_failing_validation_leaves_the_old_data_visible",
    ),
}

STORAGE_BUGS = {
    "plain-etag-for-multipart": (
        """
        class Buggy(MemoryObjectStorage):
            async def _complete_multipart_upload(self, upload_id, bucket_id, object_id, parts):
                data = b"".join(self._uploads[upload_id].parts[p.part_number] for p in parts)
                del self._uploads[upload_id]
                self.store(bucket_id, object_id, data, None)
        """,
        "test_full_multipart_upload",
    ),
    "prefix-match-for-uploads": (
        """
        class Buggy(MemoryObjectStorage):
            async def _list_multipart_uploads(self, bucket_id, object_id):
                self._bucket(bucket_id)
                return [
                    upload_id for upload_id, upload in self._uploads.items()
                    if upload.bucket_id == bucket_id
                    and upload.object_id.startswith(object_id or "")
                ]
        """,
        "test_one_active_upload_per_object",
    ),
    "deletes-non-empty-buckets": (
        """
        class Buggy(MemoryObjectStorage):
            async def _delete_bucket(self, bucket_id, *, delete_content):
                del self._buckets[bucket_id]
        """,
        "test_deleting_a_non_empty_bucket_needs_delete_content",
    ),
}


def _run(pytester: pytest.Pytester, source: str, only: str | None = None) -> pytest.RunResult:
    """Run the kit over ``source`` in a subprocess; ``only`` selects the tests named so.

    A subprocess, because the planted bugs patch provider classes for the whole process.
    A planted bug runs only the kit test expected to catch it (the whole kit passing
    unmodified is checked once, below), which keeps each case to a process start.
    """
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_buggy=source)
    selection = ["-k", only] if only else []
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", *selection)


@pytest.mark.parametrize("bug", sorted(DAO_BUGS))
def test_dao_kit_catches(pytester: pytest.Pytester, bug: str) -> None:
    patch, failing_test = DAO_BUGS[bug]
    result = _run(pytester, HEADER + textwrap.dedent(patch) + DAO_SUITE, only=failing_test)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1, result.stdout.str()
    assert any(failing_test in line for line in result.outlines if "FAILED" in line)


@pytest.mark.parametrize("bug", sorted(MIGRATION_BUGS))
def test_migration_kit_catches(pytester: pytest.Pytester, bug: str) -> None:
    patch, failing_test = MIGRATION_BUGS[bug]
    result = _run(pytester, HEADER + textwrap.dedent(patch) + MIGRATION_SUITE, only=failing_test)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1, result.stdout.str()
    assert any(failing_test in line for line in result.outlines if "FAILED" in line)


@pytest.mark.parametrize("bug", sorted(STORAGE_BUGS))
def test_storage_kit_catches(pytester: pytest.Pytester, bug: str) -> None:
    patch, failing_test = STORAGE_BUGS[bug]
    result = _run(pytester, HEADER + textwrap.dedent(patch) + STORAGE_SUITE, only=failing_test)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1, result.stdout.str()
    assert any(failing_test in line for line in result.outlines if "FAILED" in line)


def test_the_unmodified_memory_providers_pass_the_same_harness(pytester: pytest.Pytester) -> None:
    source = HEADER + "Buggy = MemoryObjectStorage\n" + DAO_SUITE + STORAGE_SUITE + MIGRATION_SUITE
    result = _run(pytester, source)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    assert outcomes["passed"] > 100
