"""The boto3 client of one provider instance and the thread pool its blocking calls run in.

The storage and its transfers get a :class:`Runner`: the client and the pool, nothing
of the storage itself. Calls name the client's bound methods, so mypy checks their
parameters and results against boto3-stubs.

``s3_timeout`` is a deadline per request: from the moment a call is handed to the pool
(waiting for a thread counts), through every attempt and botocore's backoff between
them, to its answer, or to one chunk of a download. A thread cannot be interrupted, so
when the deadline passes the caller gets ``StorageTimeoutError`` at once while the
thread finishes on its own: its socket timeouts are capped at ``s3_timeout`` and a hook
in front of every attempt refuses to send once the deadline has passed, so it is back
in the pool within about ``s3_timeout`` more, and the pool never grows beyond
``s3_max_concurrency``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

from hexkit.protocols.objstorage import StorageTimeoutError, StorageUnavailableError

from ._config import S3Config
from ._errors import translate

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["Runner", "make_client"]

T = TypeVar("T")
P = ParamSpec("P")


def make_client(config: S3Config) -> S3Client:
    """Build the client (blocking: it reads service models and the config file).

    The client's connection pool is sized with ``s3_max_concurrency``, like the thread pool
    that uses it, so no thread ever waits for a connection.
    """
    core_session = botocore.session.Session()
    if config.aws_config_ini is not None:
        if not config.aws_config_ini.is_file():
            # botocore would silently ignore a missing file.
            raise FileNotFoundError(
                f"aws_config_ini {str(config.aws_config_ini)!r} is not a file; fix the path"
                " or unset HEXKIT_AWS_CONFIG_INI."
            )
        # Scoped to this session, unlike setting AWS_CONFIG_FILE for the whole process.
        core_session.set_config_variable("config_file", str(config.aws_config_ini))
    session = boto3.session.Session(botocore_session=core_session)
    token = config.s3_session_token
    cap = config.s3_timeout or float("inf")  # no attempt may outlast the call's deadline
    checksums: dict[str, Any] = {}
    if config.s3_checksums is not None:  # else botocore's default or aws_config_ini's
        checksums = {
            "request_checksum_calculation": config.s3_checksums,
            "response_checksum_validation": config.s3_checksums,
        }
    client = session.client(
        "s3",
        endpoint_url=config.s3_endpoint_url,
        region_name=config.s3_region,
        aws_access_key_id=config.s3_access_key_id,
        aws_secret_access_key=config.s3_secret_access_key.get_secret_value(),
        aws_session_token=None if token is None else token.get_secret_value(),
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": config.s3_addressing_style or "auto"},
            max_pool_connections=config.s3_max_concurrency,
            connect_timeout=min(config.s3_connect_timeout, cap),
            read_timeout=min(config.s3_read_timeout, cap),
            retries={"mode": "standard", "max_attempts": config.s3_max_attempts},
            **checksums,
        ),
    )
    client.meta.events.register("before-send.s3", _refuse_after_deadline)
    client.meta.events.register_first("needs-retry.s3", _note_unreachable)
    return client


class _KeyLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class _Call:
    """What the thread running one request knows about it.

    Its deadline, and whether an attempt found the server unreachable (a deadline that
    passes in the backoff after a refused connection means "unavailable", not "slow").
    """

    __slots__ = ("deadline", "unreachable")

    def __init__(self, timeout: float | None) -> None:
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.unreachable = False

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


_current = threading.local()


class _Abandoned(Exception):
    """Raised in a pool thread whose caller stopped waiting: no further attempt is sent."""


def _refuse_after_deadline(**_: Any) -> None:
    call: _Call | None = getattr(_current, "call", None)
    if call is not None and call.expired():
        raise _Abandoned


def _note_unreachable(caught_exception: Exception | None = None, **_: Any) -> None:
    """Note a refused connection; once the caller gave up, stop before any backoff sleep.

    Registered ahead of botocore's retry handler on the same event.
    """
    call: _Call | None = getattr(_current, "call", None)
    if call is None:
        return
    if isinstance(caught_exception, EndpointConnectionError | ConnectionClosedError):
        call.unreachable = True
    if call.expired():
        raise _Abandoned


def _in_thread(call: _Call, function: Callable[[], T]) -> T:
    if call.expired():  # waited in the pool's queue past its deadline
        raise _Abandoned
    _current.call = call
    try:
        return function()
    finally:
        _current.call = None


class Runner:
    """Runs blocking client calls in the provider's own bounded thread pool.

    Calls never use the loop's default executor, so a busy provider cannot starve
    unrelated ``to_thread`` work, and the pool size matches the connection pool.
    """

    def __init__(
        self, client: S3Client, executor: ThreadPoolExecutor, timeout: float | None = None
    ) -> None:
        self.client = client
        self.executor = executor
        self.timeout = timeout
        self._background: set[asyncio.Future[Any]] = set()
        self._locks: dict[tuple[str, str], _KeyLock] = {}

    @contextlib.asynccontextmanager
    async def exclusive(self, bucket_id: str, object_id: str) -> AsyncIterator[None]:
        """Hold this provider's lock for one object, e.g. around a conditional completion.

        SeaweedFS (4.47-4.48) checks ``If-None-Match`` on CompleteMultipartUpload outside
        its object lock, so racing completions can all win; serialised, each sees the
        one before it. This holds within one provider instance only.
        """
        key = (bucket_id, object_id)
        entry = self._locks.setdefault(key, _KeyLock())
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if not entry.users:
                del self._locks[key]

    def keep(self, work: asyncio.Future[Any]) -> None:
        """Let ``work`` (a clean-up the caller stopped waiting for) finish in the background.

        :meth:`drain` waits for it when the provider closes.
        """
        self._background.add(work)
        work.add_done_callback(self._background.discard)
        work.add_done_callback(_consume)

    async def drain(self) -> None:
        """Wait for the background clean-ups (each bounded by its requests' timeouts)."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def run(self, function: Callable[..., T], /, *args: Any, operation: str = "") -> T:
        """Run ``function(*args)`` in the pool and return its result, within ``s3_timeout``.

        Past the deadline raise ``StorageTimeoutError`` (``StorageUnavailableError`` if an
        attempt found the server unreachable); the thread is left to finish on its own.
        """
        loop = asyncio.get_running_loop()
        call = _Call(self.timeout)
        # run_in_executor does not carry context variables into the thread (to_thread does):
        # a copy of the caller's context lets what runs there, such as botocore's
        # OpenTelemetry spans, see the caller's current span and other context.
        context = contextvars.copy_context()
        future = loop.run_in_executor(
            self.executor, context.run, _in_thread, call, functools.partial(function, *args)
        )
        if self.timeout is None:
            return await future
        try:
            done, _ = await asyncio.wait({future}, timeout=self.timeout)
        except asyncio.CancelledError:
            future.cancel()
            raise
        if done and not isinstance(future.exception(), _Abandoned):
            return future.result()
        # The thread may have seen the deadline pass a moment before this loop did.
        future.cancel()  # drops it if no thread has picked it up yet
        future.add_done_callback(_consume)
        what = operation or getattr(function, "__name__", "the request")
        if call.unreachable:
            raise StorageUnavailableError(
                f"S3 could not be reached for {what} within s3_timeout={self.timeout} s;"
                " check that the storage runs and that s3_endpoint_url points at it."
            )
        raise StorageTimeoutError(
            f"S3 did not answer {what} within s3_timeout={self.timeout} s; check that the"
            " endpoint is healthy, then retry, or raise s3_timeout."
        )

    async def call(self, method: Callable[P, T], /, *args: P.args, **params: P.kwargs) -> T:
        """Call a client method (``runner.client.head_object``) in the pool.

        Botocore errors leave translated into the protocol's errors; botocore names each
        client method after its operation, which the translation reports.
        """
        try:
            return await self.run(
                functools.partial(method, *args, **params), operation=method.__name__
            )
        except (StorageTimeoutError, StorageUnavailableError):
            raise
        except Exception as error:
            translated = translate(error, method.__name__, params)
            if translated is None:
                raise
            raise translated from error


def _consume(future: asyncio.Future[Any]) -> None:
    """Fetch the result of an abandoned call, so asyncio does not log it as unretrieved."""
    if not future.cancelled():
        future.exception()
