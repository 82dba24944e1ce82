"""The S3 object storage provider: the protocol's rules over one boto3 client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from hexkit.protocols.objstorage import (
    BucketNotEmptyError,
    BucketNotFoundError,
    Data,
    MultiPartUploadConfirmError,
    MultiPartUploadNotFoundError,
    ObjectMetadata,
    ObjectNotFoundError,
    ObjectStorageProtocol,
    PresignedPostURL,
    StorageTimeoutError,
    StorageUnavailableError,
    UploadedPart,
    validate_bucket_id,
)

from ._config import MIN_PART_SIZE, S3Config
from ._driver import Runner, make_client
from ._errors import translate
from ._redact import redacting
from ._transfers import conditional_write, multipart_copy, put_stream
from ._uploads import abort, abort_stale, list_uploads

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import HeadObjectOutputTypeDef, ObjectIdentifierTypeDef

__all__ = ["S3ObjectStorage"]


def _unquote(etag: str) -> str:
    return etag.strip('"')


class S3ObjectStorage(ObjectStorageProtocol):
    """Object storage on S3 or an S3-compatible server, with presigned URLs.

    Build it with :meth:`construct`; blocking client calls run in the provider's thread
    pool (``s3_max_concurrency`` threads), presigning runs on the event loop.
    """

    config_model: ClassVar[type[S3Config]] = S3Config

    def __init__(self, *, config: S3Config, client: S3Client, executor: ThreadPoolExecutor) -> None:
        self._config = config
        self._client = client
        self._runner = Runner(client, executor, config.s3_timeout)

    def __repr__(self) -> str:
        endpoint = self._config.s3_endpoint_url or f"AWS S3 ({self._config.s3_region})"
        return f"S3ObjectStorage(endpoint={endpoint!r})"

    @property
    def config(self) -> S3Config:
        """The settings this storage was built with."""
        return self._config

    @classmethod
    @asynccontextmanager
    async def construct(cls, *, config: S3Config) -> AsyncIterator[S3ObjectStorage]:
        """Yield a storage with its own client and thread pool; both are released on exit."""
        executor = ThreadPoolExecutor(
            max_workers=config.s3_max_concurrency, thread_name_prefix="hexkit-s3"
        )
        try:
            loop = asyncio.get_running_loop()
            client = await loop.run_in_executor(executor, make_client, config)
            token = config.s3_session_token
            try:
                with redacting(
                    config.s3_secret_access_key.get_secret_value(),
                    None if token is None else token.get_secret_value(),
                ):
                    storage = cls(config=config, client=client, executor=executor)
                    try:
                        yield storage
                    finally:
                        storage._mark_closed()
                        await storage._runner.drain()
            finally:
                await loop.run_in_executor(executor, client.close)
        finally:
            # Waiting for the pool's threads would block the loop; a helper thread does it.
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)

    # --- buckets -------------------------------------------------------------------

    async def _does_bucket_exist(self, bucket_id: str) -> bool:
        try:
            await self._runner.call(self._runner.client.head_bucket, Bucket=bucket_id)
        except BucketNotFoundError:
            return False
        return True

    async def _create_bucket(self, bucket_id: str) -> None:
        params: dict[str, Any] = {"Bucket": bucket_id}
        if self._config.s3_region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self._config.s3_region}
        await self._runner.call(self._runner.client.create_bucket, **params)

    async def _delete_bucket(self, bucket_id: str, *, delete_content: bool) -> None:
        page = await self._runner.call(
            self._runner.client.list_objects_v2, Bucket=bucket_id, MaxKeys=1
        )
        if page.get("KeyCount", 0) and not delete_content:
            raise BucketNotEmptyError(bucket_id)
        await self._clear_bucket(bucket_id)
        await self._runner.call(self._runner.client.delete_bucket, Bucket=bucket_id)

    async def _list_bucket_ids(self) -> list[str]:
        """Return the IDs of all buckets of the account (for test fixtures)."""
        answer = await self._runner.call(self._runner.client.list_buckets)
        return [bucket["Name"] for bucket in answer.get("Buckets", [])]

    async def _clear_bucket(self, bucket_id: str) -> None:
        """Abort the bucket's multipart uploads and delete all its objects (not the bucket)."""
        for upload in await list_uploads(self._runner, bucket_id, None):
            await abort(self._runner, bucket_id, upload)
        batch: list[ObjectIdentifierTypeDef] = []
        async for object_id in self._list_object_ids(bucket_id, prefix=None):
            batch.append({"Key": object_id})
            if len(batch) == 1000:  # DeleteObjects takes at most 1000 keys
                await self._delete_batch(bucket_id, batch)
                batch = []
        if batch:
            await self._delete_batch(bucket_id, batch)

    async def _delete_batch(self, bucket_id: str, batch: list[ObjectIdentifierTypeDef]) -> None:
        answer = await self._runner.call(
            self._runner.client.delete_objects,
            Bucket=bucket_id,
            Delete={"Objects": batch, "Quiet": True},
        )
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise BucketNotEmptyError(bucket_id) from RuntimeError(
                f"{len(answer['Errors'])} objects could not be deleted, e.g. {first.get('Key')!r}:"
                f" {first.get('Code')}"
            )

    async def _list_object_ids(self, bucket_id: str, *, prefix: str | None) -> AsyncIterator[str]:
        params: dict[str, Any] = {"Bucket": bucket_id}
        if prefix:
            params["Prefix"] = prefix
        while True:
            page = await self._runner.call(self._runner.client.list_objects_v2, **params)
            for item in page.get("Contents", []):
                yield item["Key"]
            if not page.get("IsTruncated"):
                return
            params["ContinuationToken"] = page["NextContinuationToken"]

    # --- objects -------------------------------------------------------------------

    async def _head(self, bucket_id: str, object_id: str) -> HeadObjectOutputTypeDef | None:
        """Return HeadObject's answer, ``None`` for a missing object in an existing bucket."""
        try:
            answer = await self._runner.call(
                self._runner.client.head_object, Bucket=bucket_id, Key=object_id
            )
        except ObjectNotFoundError:
            # A HEAD answer has no body, so S3 cannot say whether the bucket is missing.
            if not await self._does_bucket_exist(bucket_id):
                raise BucketNotFoundError(bucket_id) from None
            return None
        return answer

    async def _does_object_exist(
        self, bucket_id: str, object_id: str, object_md5sum: str | None
    ) -> bool:
        answer = await self._head(bucket_id, object_id)
        if answer is None:
            return False
        return object_md5sum is None or _unquote(answer["ETag"]) == object_md5sum

    async def _get_object_metadata(self, bucket_id: str, object_id: str) -> ObjectMetadata:
        answer = await self._head(bucket_id, object_id)
        if answer is None:
            raise ObjectNotFoundError(bucket_id, object_id)
        return ObjectMetadata(
            size=answer["ContentLength"],
            etag=_unquote(answer["ETag"]),
            last_modified=answer["LastModified"],
            content_type=answer.get("ContentType"),
        )

    async def _get_object_upload_url(
        self, bucket_id: str, object_id: str, *, expires_after: int, max_upload_size: int | None
    ) -> PresignedPostURL:
        conditions: list[Any] = []
        if max_upload_size is not None:
            conditions.append(["content-length-range", 0, max_upload_size])
        post = self._client.generate_presigned_post(
            Bucket=bucket_id, Key=object_id, Conditions=conditions, ExpiresIn=expires_after
        )
        return PresignedPostURL(url=post["url"], fields=dict(post["fields"]))

    async def _get_object_download_url(
        self, bucket_id: str, object_id: str, *, expires_after: int
    ) -> str:
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket_id, "Key": object_id}, ExpiresIn=expires_after
        )

    async def _copy_object(
        self,
        source_bucket_id: str,
        source_object_id: str,
        dest_bucket_id: str,
        dest_object_id: str,
        *,
        abort_failed: bool,
    ) -> None:
        source = await self._get_object_metadata(source_bucket_id, source_object_id)
        if source.size > self._config.s3_copy_threshold:
            await multipart_copy(
                self._runner,
                self._config,
                (source_bucket_id, source_object_id),
                (dest_bucket_id, dest_object_id),
                size=source.size,
                content_type=source.content_type,
                abort_failed=abort_failed,
            )
            return
        await self._runner.call(
            self._runner.client.copy_object,
            Bucket=dest_bucket_id,
            Key=dest_object_id,
            CopySource={"Bucket": source_bucket_id, "Key": source_object_id},
            **conditional_write(self._config),
        )

    async def _delete_object(self, bucket_id: str, object_id: str) -> None:
        await self._runner.call(self._runner.client.delete_object, Bucket=bucket_id, Key=object_id)

    async def _put_object(
        self, bucket_id: str, object_id: str, data: Data, *, content_type: str | None
    ) -> None:
        await put_stream(self._runner, self._config, bucket_id, object_id, data, content_type)

    async def _get_object(self, bucket_id: str, object_id: str) -> AsyncIterator[bytes]:
        answer = await self._runner.call(
            self._runner.client.get_object, Bucket=bucket_id, Key=object_id
        )
        body = answer["Body"]
        size = self._config.s3_download_chunk_size
        try:
            while chunk := await self._read(body, size, bucket_id, object_id):
                yield chunk
        except BaseException:
            # Closing only drops the socket; done here, it cannot wait behind pool threads
            # that are stuck on a silent server.
            body.close()
            raise
        await self._runner.run(body.close)

    async def _read(self, body: Any, size: int, bucket_id: str, object_id: str) -> bytes:
        try:
            chunk: bytes = await self._runner.run(body.read, size, operation="get_object")
        except (StorageTimeoutError, StorageUnavailableError):
            raise
        except Exception as error:
            translated = translate(error, "get_object", {"Bucket": bucket_id, "Key": object_id})
            if translated is None:
                raise
            raise translated from error
        return chunk

    # --- multipart uploads ---------------------------------------------------------

    async def _init_multipart_upload(self, bucket_id: str, object_id: str) -> str:
        answer = await self._runner.call(
            self._runner.client.create_multipart_upload, Bucket=bucket_id, Key=object_id
        )
        return str(answer["UploadId"])

    async def _get_part_upload_url(
        self,
        upload_id: str,
        bucket_id: str,
        object_id: str,
        *,
        part_number: int,
        expires_after: int,
        part_md5: str | None,
    ) -> str:
        params: dict[str, Any] = {
            "Bucket": bucket_id,
            "Key": object_id,
            "UploadId": upload_id,
            "PartNumber": part_number,
        }
        if part_md5 is not None:
            # A signed header: S3 refuses the PUT unless it carries this exact Content-MD5.
            params["ContentMD5"] = part_md5
        return self._client.generate_presigned_url(
            "upload_part", Params=params, ExpiresIn=expires_after
        )

    async def _list_multipart_uploads(self, bucket_id: str, object_id: str | None) -> list[str]:
        uploads = await list_uploads(self._runner, bucket_id, object_id)
        return [upload.upload_id for upload in uploads]

    async def abort_stale_multipart_uploads(self, bucket_id: str, *, older_than: timedelta) -> int:
        """Abort the bucket's multipart uploads started more than ``older_than`` ago.

        Returns how many were aborted. For uploads left open by a crashed client, or by
        an abort that could not reach the server; on AWS S3 prefer the bucket lifecycle
        rule ``AbortIncompleteMultipartUpload``, which does the same on the server. Ages
        are measured against this machine's clock (keep it in sync with the server's),
        so pick ``older_than`` well above the longest upload still in progress: an
        aborted upload's client gets ``NoSuchUpload`` for its next part.
        Not part of the protocol: its uploads carry no start time, and the cleanup is
        an operator's job, not the application core's.
        """
        validate_bucket_id(bucket_id)
        return await abort_stale(self._runner, bucket_id, older_than)

    async def _abort_multipart_upload(self, upload_id: str, bucket_id: str, object_id: str) -> None:
        await self._runner.call(
            self._runner.client.abort_multipart_upload,
            Bucket=bucket_id,
            Key=object_id,
            UploadId=upload_id,
        )

    async def _list_upload_parts(
        self, upload_id: str, bucket_id: str, object_id: str
    ) -> list[UploadedPart]:
        params: dict[str, Any] = {"Bucket": bucket_id, "Key": object_id, "UploadId": upload_id}
        parts: list[UploadedPart] = []
        while True:
            try:
                page = await self._runner.call(self._runner.client.list_parts, **params)
            except BucketNotFoundError:
                raise MultiPartUploadNotFoundError(upload_id, bucket_id, object_id) from None
            if page.get("Key", object_id) != object_id:
                # Some servers find the upload by its ID alone; S3 also matches the key.
                raise MultiPartUploadNotFoundError(upload_id, bucket_id, object_id)
            parts.extend(
                UploadedPart(part["PartNumber"], part["Size"], _unquote(part["ETag"]))
                for part in page.get("Parts", [])
            )
            if not page.get("IsTruncated"):
                return parts
            params["PartNumberMarker"] = page["NextPartNumberMarker"]

    async def _complete_multipart_upload(
        self, upload_id: str, bucket_id: str, object_id: str, parts: list[UploadedPart]
    ) -> None:
        for part in parts[:-1]:
            if part.size < MIN_PART_SIZE:
                # S3 refuses this too (EntityTooSmall); checking first spares a request
                # and holds for servers that are laxer than S3.
                raise MultiPartUploadConfirmError(
                    upload_id,
                    bucket_id,
                    object_id,
                    f"part {part.part_number} has {part.size} bytes, less than S3's minimum"
                    f" part size of {MIN_PART_SIZE}",
                )
        await self._runner.call(
            self._runner.client.complete_multipart_upload,
            Bucket=bucket_id,
            Key=object_id,
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [{"PartNumber": p.part_number, "ETag": f'"{p.etag}"'} for p in parts]
            },
        )
