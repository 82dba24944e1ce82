"""Who may do what in the file services, probed from outside: every forgery is refused.

Work orders (JWTs from the access issuer) guard every user operation; signed hand-offs
guard ``/messages``; no client mistake is answered with a 5xx. The flows run over any
providers through the ``services`` fixture, like the other file-service flows.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import jwt
import pytest
from file_services.common.handoffs import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    MessageSigner,
    message_mac,
)
from file_services.common.issuer import WorkOrderIssuer, generate_key_pair
from file_services.common.outbox import OwedMessage
from file_services.common.providers import ensure_bucket
from file_services.common.work_orders import Operation
from file_services.download_controller.wiring import DownloadControllerSettings
from file_services_download_flows import FlowBase
from file_services_harness import DOWNLOADS, REGISTRY, UPLOADS, FileServices, md5_of
from pydantic import SecretStr

__all__ = ["SecurityFlows"]

PROBLEM_JSON = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    """The header that carries a work order."""
    return {"Authorization": f"Bearer {token}"}


def claims_for(services: FileServices, service: str, op: Operation, file_id: str) -> dict[str, Any]:
    """The claims the harness's issuer puts in a valid token."""
    now = int(time.time())
    return {
        "iss": "file-services-access",
        "aud": service,
        "op": op.value,
        "file_id": file_id,
        "iat": now,
        "exp": now + 60,
    }


def signed(services: FileServices, claims: dict[str, Any], **header: Any) -> str:
    """A token signed with the issuer's real private key, with any claims."""
    key = services.keys.work_orders.private_pem.get_secret_value()
    return jwt.encode(claims, key, algorithm="ES256", headers=header or None)


def unsigned(claims: dict[str, Any]) -> str:
    """A token with ``alg: none`` and no signature."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


class SecurityFlows(FlowBase):
    """Forgeries of work orders and hand-offs, and client mistakes, against real wiring."""

    # --- work orders -------------------------------------------------------------------

    async def test_every_user_operation_without_a_work_order_is_401(
        self, services: FileServices
    ) -> None:
        await self.registered(services, "guarded")
        anon = services.anonymous
        attempt_id = "0" * 32
        calls = [
            anon[UPLOADS].post("/files", json={"file_id": "guarded-2", "size": 10}),
            anon[UPLOADS].get("/files/guarded"),
            anon[UPLOADS].post("/files/guarded/attempts", json={}),
            anon[UPLOADS].get(f"/attempts/{attempt_id}"),
            anon[UPLOADS].post(f"/attempts/{attempt_id}/parts/1"),
            anon[UPLOADS].post(
                f"/attempts/{attempt_id}/complete", json={"part_count": 1, "md5": "0" * 32}
            ),
            anon[UPLOADS].delete(f"/attempts/{attempt_id}"),
            anon[REGISTRY].get("/files/guarded"),
            anon[REGISTRY].delete("/files/guarded"),
            anon[DOWNLOADS].get("/objects/guarded"),
        ]
        for answer in await asyncio.gather(*calls):
            assert answer.status_code == 401, (answer.request.url, answer.text)
            assert answer.headers["content-type"] == PROBLEM_JSON
            assert answer.headers["www-authenticate"] == "Bearer"
            assert answer.json()["status"] == 401
        assert (await services.registry.get("/files/guarded")).status_code == 200

    async def test_tampered_work_orders_are_403_and_say_nothing_about_which_files_exist(
        self, services: FileServices
    ) -> None:
        await self.registered(services, "secret")
        good = claims_for(services, DOWNLOADS, Operation.DOWNLOAD, "secret")
        other_key = generate_key_pair("ES256").private_pem
        valid = signed(services, good)
        head, _body, signature = valid.split(".")
        changed = {**good, "file_id": "other"}
        changed_body = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=")
        forged = {
            "alg none": unsigned(good),
            "HS256 keyed with the public key": _hs256(good, services.keys.work_orders.public_pem),
            "changed claims, old signature": f"{head}.{changed_body.decode()}.{signature}",
            "wrong key": WorkOrderIssuer(other_key).issue(DOWNLOADS, Operation.DOWNLOAD, "secret"),
            "EdDSA key": WorkOrderIssuer(
                generate_key_pair("EdDSA").private_pem, algorithm="EdDSA"
            ).issue(DOWNLOADS, Operation.DOWNLOAD, "secret"),
            "expired": signed(
                services, {**good, "iat": good["iat"] - 600, "exp": good["iat"] - 300}
            ),
            "too long a lifetime": signed(services, {**good, "exp": good["iat"] + 86_400}),
            "other file": signed(services, {**good, "file_id": "not-secret"}),
            "other operation": signed(services, {**good, "op": Operation.DELETE.value}),
            "unknown operation": signed(services, {**good, "op": "admin"}),
            "other service": signed(services, {**good, "aud": REGISTRY}),
            "other issuer": signed(services, {**good, "iss": "someone"}),
            "no expiry": signed(services, {k: v for k, v in good.items() if k != "exp"}),
            "garbage": "not.a.token",
        }
        for what, token in forged.items():
            answer = await services.anonymous[DOWNLOADS].get(
                "/objects/secret", headers=bearer(token)
            )
            assert answer.status_code == 403, (what, answer.text)
            assert answer.headers["content-type"] == PROBLEM_JSON
            assert "secret" not in answer.json()["detail"], what
        # A refused token reads the same whether the file exists or not.
        refusals = []
        for token_file in ("secret", "never-was"):
            wrong_op = signed(services, {**good, "file_id": token_file, "op": "delete"})
            answer = await services.anonymous[DOWNLOADS].get(
                f"/objects/{token_file}", headers=bearer(wrong_op)
            )
            assert answer.status_code == 403
            assert "another operation" in answer.json()["detail"]
            refusals.append(answer.json())
        assert refusals[0] == refusals[1]
        assert (
            await services.anonymous[DOWNLOADS].get("/objects/secret", headers=bearer(valid))
        ).status_code == 202

    async def test_deleting_needs_a_delete_work_order_for_that_file(
        self, services: FileServices
    ) -> None:
        await self.registered(services, "keep")
        registry = services.anonymous[REGISTRY]
        for op, file_id in ((Operation.DOWNLOAD, "keep"), (Operation.DELETE, "other")):
            token = services.issuer.issue(REGISTRY, op, file_id)
            assert (await registry.delete("/files/keep", headers=bearer(token))).status_code == 403
        await services.settle()
        assert (await services.registry.get("/files/keep")).status_code == 200
        token = services.issuer.issue(REGISTRY, Operation.DELETE, "keep")
        assert (await registry.delete("/files/keep", headers=bearer(token))).status_code == 204

    async def test_an_attempt_of_another_file_is_refused_like_an_unknown_one(
        self, services: FileServices
    ) -> None:
        data = self.data()
        (await services.announce("mine", data)).raise_for_status()
        attempt_id = (await services.start_attempt("mine")).json()["attempt_id"]
        uploads = services.anonymous[UPLOADS]
        other = bearer(services.issuer.issue(UPLOADS, Operation.CANCEL_UPLOAD, "theirs"))
        foreign = await uploads.delete(f"/attempts/{attempt_id}", headers=other)
        unknown = await uploads.delete(f"/attempts/{'f' * 32}", headers=other)
        assert foreign.status_code == unknown.status_code == 403
        assert foreign.json() == unknown.json()
        start_only = bearer(services.issuer.issue(UPLOADS, Operation.START_UPLOAD, "mine"))
        completion = {"part_count": 1, "md5": md5_of(data)}
        wrong_op = await uploads.post(
            f"/attempts/{attempt_id}/complete", json=completion, headers=start_only
        )
        assert wrong_op.status_code == 403
        assert (await services.attempt(attempt_id))["status"] == "pending"

    # --- hand-offs ---------------------------------------------------------------------

    async def test_forged_hand_offs_are_refused_and_write_nothing(
        self, services: FileServices
    ) -> None:
        data = await self.registered(services, "victim")
        await ensure_bucket(services.storage, "fs-elsewhere")
        completed = {
            "file_id": "hijack", "attempt_id": "a" * 32, "bucket_id": services.permanent_bucket,
            "object_id": "victim", "size": len(data), "md5": md5_of(data),
        }  # fmt: skip
        stage = {
            "file_id": "victim", "stage_id": "s" * 32,
            "bucket_id": "fs-elsewhere", "object_id": "stolen",
        }  # fmt: skip
        forgeries = [  # recipient, topic, payload, its real sender, a sender it refuses
            (REGISTRY, "file_upload_completed", completed, UPLOADS, DOWNLOADS),
            (REGISTRY, "stage_file", stage, DOWNLOADS, UPLOADS),
            (DOWNLOADS, "file_deleted", {"file_id": "victim"}, REGISTRY, UPLOADS),
        ]
        for n, (recipient, topic, payload, sender, refused) in enumerate(forgeries):
            envelope = {"message_id": f"forged-{n}", "topic": topic, "payload": payload}
            body = json.dumps(envelope).encode()
            client = services.anonymous[recipient]
            assert (await client.post("/messages", content=body)).status_code == 401, topic
            guessed = MessageSigner(sender, SecretStr("guessed")).headers(body)
            answer = await client.post("/messages", content=body, headers=guessed)
            assert answer.status_code == 401, topic
            # Signed by the real sender, then altered on the way.
            headers = MessageSigner(sender, services.keys.hand_offs[sender]).headers(body)
            altered = body.replace(b"forged", b"Forged")
            answer = await client.post("/messages", content=altered, headers=headers)
            assert answer.status_code == 401, topic
            # Properly signed, but by a service that may not send this topic here.
            answer = await services.deliver(recipient, refused, envelope)
            assert answer.status_code in (401, 403), (topic, answer.text)
        # A real sender naming a bucket its topic may not use is refused too.
        sneaky = {"message_id": "sneaky", "topic": "stage_file", "payload": stage}
        assert (await services.deliver(REGISTRY, DOWNLOADS, sneaky)).status_code == 422
        copied = {**completed, "bucket_id": services.permanent_bucket}
        hijack = {"message_id": "hijack", "topic": "file_upload_completed", "payload": copied}
        assert (await services.deliver(REGISTRY, UPLOADS, hijack)).status_code == 422
        await services.settle()
        assert (await services.registry.get("/files/hijack")).status_code == 404
        assert [x async for x in services.storage.list_object_ids("fs-elsewhere")] == []
        assert await services.download("victim") == data

    async def test_an_oversized_delivery_is_refused_before_it_is_read_whole(
        self, services: FileServices
    ) -> None:
        huge = b'{"message_id": "big", "topic": "file_deleted", "payload": {"pad": "'
        huge += b"x" * (2 * 1024 * 1024) + b'"}}'
        answer = await services.anonymous[DOWNLOADS].post("/messages", content=huge)
        assert answer.status_code == 413
        assert answer.headers["content-type"] == PROBLEM_JSON

    async def test_a_replayed_or_stale_delivery_is_refused(self, services: FileServices) -> None:
        await self.registered(services, "once")
        envelope = {"message_id": "m-1", "topic": "file_deleted", "payload": {"file_id": "x"}}
        body = json.dumps(envelope).encode()
        headers = MessageSigner(REGISTRY, services.keys.hand_offs[REGISTRY]).headers(body)
        client = services.anonymous[DOWNLOADS]
        assert (await client.post("/messages", content=body, headers=headers)).status_code == 204
        assert (await client.post("/messages", content=body, headers=headers)).status_code == 403
        again = {**envelope, "message_id": "m-2", "payload": {"file_id": "once"}}
        body = json.dumps(again).encode()
        stale = MessageSigner(REGISTRY, services.keys.hand_offs[REGISTRY]).headers(body)
        old = str(int(time.time()) - 3600)
        stale[TIMESTAMP_HEADER] = old
        stale[SIGNATURE_HEADER] = message_mac(
            services.keys.hand_offs[REGISTRY], REGISTRY, old, body
        )
        assert (await client.post("/messages", content=body, headers=stale)).status_code == 403
        await services.settle()
        assert await services.download("once")

    async def test_a_message_refused_with_a_4xx_is_parked_not_retried(
        self, services: FileServices
    ) -> None:
        poisoned = OwedMessage(recipient=REGISTRY, topic="file_upload_completed", payload={"x": 1})
        await services.outboxes[UPLOADS].insert(poisoned)
        await services.settle()
        [parked] = await services.owed(UPLOADS)
        assert parked.attempts == 0
        assert parked.undeliverable is not None
        assert parked.undeliverable.startswith("422")
        await services.settle()
        assert (await services.owed(UPLOADS))[0].attempts == 0

    # --- secrets stay secret ---------------------------------------------------------

    async def test_no_key_or_token_appears_in_logs_answers_or_reprs(
        self, services: FileServices, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        data = await self.registered(services, "quiet")
        tokens = [
            services.issuer.issue(DOWNLOADS, Operation.DOWNLOAD, "quiet"),
            services.issuer.issue(DOWNLOADS, Operation.DELETE, "quiet"),  # refused: operation
            services.issuer.issue(REGISTRY, Operation.DOWNLOAD, "quiet"),  # refused: audience
        ]
        answers = [
            await services.anonymous[DOWNLOADS].get("/objects/quiet", headers=bearer(token))
            for token in tokens
        ]
        forged = {"message_id": "f", "topic": "file_deleted", "payload": {"file_id": "quiet"}}
        body = json.dumps(forged).encode()
        wrong = MessageSigner(REGISTRY, SecretStr("k" * 64)).headers(body)
        answers.append(
            await services.anonymous[DOWNLOADS].post("/messages", content=body, headers=wrong)
        )
        poisoned = OwedMessage(recipient=REGISTRY, topic="stage_file", payload={"file_id": 1})
        await services.outboxes[DOWNLOADS].insert(poisoned)
        await services.settle()
        assert await services.download("quiet") == data
        private_pem = services.keys.work_orders.private_pem.get_secret_value()
        secrets = [
            *tokens,
            *(t.split(".")[2] for t in tokens),  # a signature alone is a secret too
            *(key.get_secret_value() for key in services.keys.hand_offs.values()),
            *(line for line in private_pem.splitlines() if "PRIVATE KEY" not in line),
            wrong["X-Hand-Off-Signature"],
        ]
        settings = DownloadControllerSettings(**services.keys.settings(DOWNLOADS))
        exposed = "\n".join(
            [
                caplog.text,
                *(f"{a.headers}\n{a.text}" for a in answers),
                repr(settings),
                str(settings),
                repr(services.keys.work_orders),
                repr(services.issuer),
                *(m.undeliverable or "" for m in await services.owed(DOWNLOADS)),
            ]
        )
        assert "403" in exposed  # the answers are in there
        for secret in secrets:
            assert secret not in exposed

    # --- client mistakes are 4xx, never 5xx ------------------------------------------

    async def test_twenty_concurrent_completes_answer_without_5xx(
        self, services: FileServices
    ) -> None:
        data = self.data()
        (await services.announce("crowd", data)).raise_for_status()
        attempt_id = (await services.start_attempt("crowd")).json()["attempt_id"]
        part_count = await services.upload_parts(attempt_id, data)
        answers = await asyncio.gather(
            *(services.complete(attempt_id, part_count, md5_of(data)) for _ in range(20))
        )
        codes = [answer.status_code for answer in answers]
        # No 5xx, and no 422: a loser is refused before it touches the upload.
        assert set(codes) <= {200, 409}, codes
        for answer in answers:
            if answer.status_code != 200:
                assert answer.headers["content-type"] == PROBLEM_JSON
                assert answer.json()["current_status"] in ("completing", "uploaded")
        await services.settle()
        assert (await services.attempt(attempt_id))["status"] == "accepted", codes

    async def test_a_complete_that_loses_to_a_cancel_is_409(self, services: FileServices) -> None:
        data = self.data()
        (await services.announce("loser", data)).raise_for_status()
        attempt_id = (await services.start_attempt("loser")).json()["attempt_id"]
        part_count = await services.upload_parts(attempt_id, data)
        assert (await services.uploads.delete(f"/attempts/{attempt_id}")).status_code == 200
        late = await services.complete(attempt_id, part_count, md5_of(data))
        assert late.status_code == 409
        again = (await services.start_attempt("loser")).json()["attempt_id"]
        await services.upload_parts(again, data)
        raced = await asyncio.gather(
            services.complete(again, part_count, md5_of(data)),
            services.uploads.delete(f"/attempts/{again}"),
        )
        assert all(answer.status_code < 500 for answer in raced), [a.text for a in raced]

    async def test_out_of_range_numbers_and_long_ids_are_4xx(self, services: FileServices) -> None:
        huge = await services.uploads.post("/files", json={"file_id": "big", "size": 2**70})
        assert huge.status_code == 422
        assert huge.headers["content-type"] == PROBLEM_JSON
        long_id = "x" * 2000
        for client, path in (
            (services.downloads, f"/objects/{long_id}"),
            (services.uploads, f"/files/{long_id}"),
            (services.uploads, f"/attempts/{long_id}"),
            (services.registry, f"/files/{long_id}"),
        ):
            answer = await client.get(path)
            assert 400 <= answer.status_code < 500, (path[:20], answer.status_code)
            assert answer.headers["content-type"] == PROBLEM_JSON
        malformed = [
            {"message_id": "a", "topic": "file_upload_completed", "payload": {}},
            {"message_id": "b", "topic": "file_upload_completed", "payload": {"size": "x"}},
            {"message_id": "c", "topic": "stage_file", "payload": {"file_id": long_id}},
        ]
        for envelope in malformed:
            sender = DOWNLOADS if envelope["topic"] == "stage_file" else UPLOADS
            answer = await services.deliver(REGISTRY, sender, envelope)
            assert answer.status_code == 422, answer.text
        for payload in ({}, {"file_id": 5}, {"file_id": long_id, "stage_id": None}):
            for topic in ("file_registered", "file_staged", "file_deleted"):
                envelope = {"message_id": f"{topic}-{payload}", "topic": topic, "payload": payload}
                assert (await services.deliver(DOWNLOADS, REGISTRY, envelope)).status_code == 422
        for topic in ("file_accepted", "file_rejected"):
            envelope = {"message_id": topic, "topic": topic, "payload": {"attempt_id": 3}}
            assert (await services.deliver(UPLOADS, REGISTRY, envelope)).status_code == 422
        not_json = MessageSigner(UPLOADS, services.keys.hand_offs[UPLOADS]).headers(b"{")
        broken = await services.anonymous[REGISTRY].post(
            "/messages", content=b"{", headers=not_json
        )
        assert broken.status_code == 422


def _hs256(claims: dict[str, Any], public_pem: str) -> str:
    """An HS256 token keyed with the public key's PEM (algorithm confusion).

    PyJWT refuses to sign with a PEM as an HMAC secret, so the token is built by hand.
    """

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    header = json.dumps({"alg": "HS256", "typ": "JWT"}).encode()
    signing_input = f"{part(header)}.{part(json.dumps(claims).encode())}"
    mac = hmac.new(public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(mac)}"
