"""The boto3 client of one provider instance and the thread pool its blocking calls run in.

The storage and its transfers get a :class:`Runner`: the client and the pool, nothing
of the storage itself. Calls name the client's bound methods, so mypy checks their
parameters and results against boto3-stubs.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import boto3
import botocore.session
from botocore.config import Config

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
    return session.client(
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
            connect_timeout=config.s3_connect_timeout,
            read_timeout=config.s3_read_timeout,
            retries={"mode": "standard", "max_attempts": config.s3_max_attempts},
        ),
    )


class Runner:
    """Runs blocking client calls in the provider's own bounded thread pool.

    Calls never use the loop's default executor, so a busy provider cannot starve
    unrelated ``to_thread`` work, and the pool size matches the connection pool.
    """

    def __init__(self, client: S3Client, executor: ThreadPoolExecutor) -> None:
        self.client = client
        self.executor = executor

    async def run(self, function: Callable[..., T], /, *args: Any) -> T:
        """Run ``function(*args)`` in the pool and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(function, *args))

    async def call(self, method: Callable[P, T], /, *args: P.args, **params: P.kwargs) -> T:
        """Call a client method (``runner.client.head_object``) in the pool.

        Botocore errors leave translated into the protocol's errors; botocore names each
        client method after its operation, which the translation reports.
        """
        try:
            return await self.run(functools.partial(method, *args, **params))
        except Exception as error:
            translated = translate(error, method.__name__, params)
            if translated is None:
                raise
            raise translated from error
