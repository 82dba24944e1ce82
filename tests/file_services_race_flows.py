"""Races on one attempt or one file: every trial ends in exactly one consistent state.

A complete and a cancel of one attempt, or many completes of it, are sent at once; after
the relays settle, the test checks that exactly one of them won, that every loser was
answered ``409`` with the state it lost to (``current_status``), and that the end state
agrees with the answers: a completed attempt is accepted and its file registered, a
cancelled one registered nothing and frees the file for a new attempt. A download that
stages a file races its deletion: the deletion wins, leaving no record, copy or parked
message anywhere. No trial may see a ``5xx``. Each check is collected per trial, so a
failure reports how many trials broke.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable
from typing import Any, ClassVar

import httpx
from file_services.common.outbox import OwedMessage
from file_services_download_flows import FlowBase
from file_services_harness import DOWNLOADS, REGISTRY, FileServices, md5_of

__all__ = ["RaceFlows"]

PROBLEM_JSON = "application/problem+json"
# What a loser may be told it lost to.
COMPLETED_STATES = {"completing", "uploaded", "accepted"}


def _lost(answer: httpx.Response, states: set[str]) -> str | None:
    """Return what is wrong with a loser's answer: a 409 problem naming one of ``states``."""
    if answer.status_code != 409:
        return f"a loser got {answer.status_code}: {answer.text[:200]}"
    if answer.headers["content-type"] != PROBLEM_JSON:
        return f"a 409 is not problem+json: {answer.headers['content-type']}"
    current = answer.json().get("current_status")
    if current not in states:
        return f"a 409 names the state {current!r}, not one of {sorted(states)}"
    return None


async def _after_yields(count: int, request: Awaitable[httpx.Response]) -> httpx.Response:
    """Send ``request`` after letting other tasks run ``count`` times: trials interleave
    differently, also on the memory providers, whose calls take no real time."""
    for _ in range(count):
        await asyncio.sleep(0)
    return await request


async def _deliver(services: FileServices, message: OwedMessage) -> httpx.Response:
    """Post a message the registry owes the download controller, as its relay would."""
    envelope = {"message_id": message.message_id, "topic": message.topic}
    return await services.deliver(DOWNLOADS, REGISTRY, {**envelope, "payload": message.payload})


class RaceFlows(FlowBase):
    """Complete against cancel, and concurrent completes, over the ``services`` fixture."""

    race_trials: ClassVar[int] = 30
    crowd_trials: ClassVar[int] = 3
    crowd_size: ClassVar[int] = 20
    stage_trials: ClassVar[int] = 30

    async def _ready(self, services: FileServices, file_id: str) -> tuple[str, int, bytes]:
        """Announce a one-part file, open an attempt and upload its part."""
        data = os.urandom(self.small_file_size)
        (await services.announce(file_id, data)).raise_for_status()
        started = await services.start_attempt(file_id)
        started.raise_for_status()
        attempt_id: str = started.json()["attempt_id"]
        return attempt_id, await services.upload_parts(attempt_id, data), data

    async def _end_state(
        self, services: FileServices, file_id: str, attempt_id: str
    ) -> tuple[str, bool]:
        """Settle the relays; return the attempt's state and whether the file is registered."""
        await services.settle()
        status: str = (await services.attempt(attempt_id))["status"]
        registered = (await services.registry.get(f"/files/{file_id}")).status_code
        assert registered in (200, 404), registered
        return status, registered == 200

    async def _judge_completed(
        self, services: FileServices, file_id: str, attempt_id: str, data: bytes
    ) -> list[str]:
        status, registered = await self._end_state(services, file_id, attempt_id)
        problems = []
        if (status, registered) != ("accepted", True):
            problems.append(f"answered completed, but ends {status}, registered={registered}")
        again = await services.start_attempt(file_id)
        if again.status_code != 409:
            problems.append(f"a new attempt on a registered file got {again.status_code}")
        stored = await services.storage.does_object_exist(services.permanent_bucket, file_id)
        if not stored:
            problems.append("the registered file has no permanent object")
        return problems

    async def _judge_cancelled(
        self, services: FileServices, file_id: str, attempt_id: str
    ) -> list[str]:
        status, registered = await self._end_state(services, file_id, attempt_id)
        problems = []
        if (status, registered) != ("cancelled", False):
            problems.append(f"answered cancelled, but ends {status}, registered={registered}")
        uploads = await services.storage.list_multipart_uploads(services.inbox_bucket, attempt_id)
        if uploads:
            problems.append("the cancelled attempt's upload is still open")
        again = await services.start_attempt(file_id)
        if again.status_code != 201:
            problems.append(f"a new attempt after the cancel got {again.status_code}")
        return problems

    async def _complete_against_cancel(self, services: FileServices, n: int) -> list[str]:
        """Run one trial; return what was inconsistent (empty: one winner, answers agree)."""
        file_id = f"duel-{n}"
        attempt_id, part_count, data = await self._ready(services, file_id)
        racers: list[Any] = [
            services.complete(attempt_id, part_count, md5_of(data)),
            services.uploads.delete(f"/attempts/{attempt_id}"),
        ]
        if n % 2:  # either request may be sent first
            racers.reverse()
        answers = await asyncio.gather(*racers)
        complete, cancel = answers if n % 2 == 0 else answers[::-1]
        if any(answer.status_code >= 500 for answer in answers):
            return [f"5xx: {[a.status_code for a in answers]}"]
        if complete.status_code == 200 and cancel.status_code != 200:
            problems = [p for p in [_lost(cancel, COMPLETED_STATES)] if p]
            if complete.json()["status"] != "uploaded":
                problems.append(f"the complete answered {complete.json()['status']}")
            return problems + await self._judge_completed(services, file_id, attempt_id, data)
        if cancel.status_code == 200 and complete.status_code != 200:
            problems = [p for p in [_lost(complete, {"cancelled"})] if p]
            if cancel.json()["status"] != "cancelled":
                problems.append(f"the cancel answered {cancel.json()['status']}")
            return problems + await self._judge_cancelled(services, file_id, attempt_id)
        return [f"not one winner: complete {complete.status_code}, cancel {cancel.status_code}"]

    async def test_complete_against_cancel_has_exactly_one_winner(
        self, services: FileServices
    ) -> None:
        outcomes = {}
        for n in range(self.race_trials):
            outcomes[n] = await self._complete_against_cancel(services, n)
        broken = {n: problems for n, problems in outcomes.items() if problems}
        assert not broken, f"{len(broken)} of {self.race_trials} trials inconsistent: {broken}"

    async def _crowd(self, services: FileServices, n: int) -> list[str]:
        """Send ``crowd_size`` completes of one attempt at once; return what was wrong."""
        file_id = f"crowd-{n}"
        attempt_id, part_count, data = await self._ready(services, file_id)
        answers = await asyncio.gather(
            *(
                services.complete(attempt_id, part_count, md5_of(data))
                for _ in range(self.crowd_size)
            )
        )
        codes = [answer.status_code for answer in answers]
        if any(code >= 500 for code in codes):
            return [f"5xx: {codes}"]
        losers = [_lost(a, COMPLETED_STATES) for a in answers if a.status_code != 200]
        problems = [problem for problem in losers if problem]
        done = [a.json()["status"] for a in answers if a.status_code == 200]
        if not done:
            problems.append(f"no complete won: {codes}")
        if set(done) - {"uploaded"}:
            problems.append(f"a complete answered {done}")
        return problems + await self._judge_completed(services, file_id, attempt_id, data)

    async def test_concurrent_completes_have_exactly_one_winner(
        self, services: FileServices
    ) -> None:
        outcomes = {n: await self._crowd(services, n) for n in range(self.crowd_trials)}
        broken = {n: problems for n, problems in outcomes.items() if problems}
        assert not broken, f"{len(broken)} of {self.crowd_trials} trials inconsistent: {broken}"

    async def _race_staging(
        self, services: FileServices, file_id: str, n: int
    ) -> list[httpx.Response]:
        """Ask for a file's download while deleting it, three ways; return the answers.

        The download's and the deletion's answers come first, then any refused hand-off.
        """
        ask = services.downloads.get(f"/objects/{file_id}")
        delete = _after_yields(n // 3, services.registry.delete(f"/files/{file_id}"))
        if n % 3 == 0:
            return list(await asyncio.gather(ask, delete))
        elif n % 3 == 1:  # the staging's messages are under way when the delete comes
            return [await ask, (await asyncio.gather(delete, services.settle()))[0]]
        else:  # file_staged and file_deleted arrive at once (two registry instances)
            answers = [await ask]
            await services.relays[DOWNLOADS].deliver_pending()  # the registry copies
            answers.append(await delete)
            owed = await services.owed(REGISTRY)
            deliveries = [
                _after_yields((n // 3) * (m.topic == "file_staged"), _deliver(services, m))
                for m in owed
            ]
            for delivered in await asyncio.gather(*deliveries):
                if delivered.status_code != 204:
                    answers.append(delivered)  # judged below: a refused hand-off is a problem
            for message in owed:  # delivered, as the relay would record it
                await services.outboxes[REGISTRY].delete(message.message_id)
        return answers

    async def _stage_against_delete(self, services: FileServices, n: int) -> list[str]:
        """Stage a file while it is deleted; return what outlived the deletion."""
        file_id = f"staged-{n}"
        await self.registered(services, file_id)
        asked, deleted, *refused = await self._race_staging(services, file_id, n)
        await services.settle()
        problems = []
        if asked.status_code not in (200, 202, 404) or deleted.status_code != 204:
            problems.append(f"answered {asked.status_code} and {deleted.status_code}")
        problems.extend(f"a hand-off got {a.status_code}: {a.text[:200]}" for a in refused)
        for client, path in ((services.registry, "/files"), (services.downloads, "/objects")):
            if (left := (await client.get(f"{path}/{file_id}")).status_code) != 404:
                problems.append(f"{path}/{file_id} answers {left} after the deletion")
        if await services.storage.does_object_exist(services.permanent_bucket, file_id):
            problems.append("the permanent object outlived the deletion")
        copies = [c for c in await self.outbox_copies(services) if c.startswith(f"{file_id}/")]
        if copies:
            problems.append(f"outbox copies outlived the deletion: {copies}")
        for service in services.outboxes:
            if parked := [m.undeliverable for m in await services.owed(service)]:
                problems.append(f"{service} still owes or parked: {parked}")
        return problems

    async def test_staging_against_deletion_leaves_nothing_behind(
        self, services: FileServices
    ) -> None:
        outcomes = {
            n: await self._stage_against_delete(services, n) for n in range(self.stage_trials)
        }
        broken = {n: problems for n, problems in outcomes.items() if problems}
        assert not broken, f"{len(broken)} of {self.stage_trials} trials inconsistent: {broken}"
