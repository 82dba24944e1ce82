"""moto's server with the checks S3 makes on presigned requests and moto skips.

moto accepts any signature, ignores POST policies and never compares ``Content-MD5`` with
the body. Tests of presigned flows would then pass against moto and fail against S3, so
this WSGI layer checks, before moto sees a request:

- query-signed requests (presigned URLs): a known access key, expiry, and the SigV4
  signature over the method, path, query and signed headers (a signed ``Content-MD5``
  must be sent as signed);
- form POST uploads: a known access key, the policy's signature, expiry,
  ``bucket``/``key`` conditions and ``content-length-range``;
- any request carrying ``Content-MD5``: that it is the MD5 of the body (``BadDigest``).

Requests signed in the ``Authorization`` header (the provider's own calls) pass unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

__all__ = ["StrictMotoServer", "StrictPresignedRequests"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


def _signing_key(secret: str, scope: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _sign(secret: str, scope: str, message: str) -> str:
    return hmac.new(_signing_key(secret, scope), message.encode(), hashlib.sha256).hexdigest()


class StrictPresignedRequests:
    """WSGI middleware that refuses presigned requests S3 would refuse (see module doc)."""

    def __init__(self, app: WsgiApp, *, secrets: dict[str, str]) -> None:
        self._app = app
        self._secrets = dict(secrets)  # access key ID -> secret access key

    def _secret(self, credential: str) -> tuple[str, str]:
        """Return the secret and the scope of a ``<key id>/<scope>`` credential."""
        key_id, _, scope = credential.partition("/")
        secret = self._secrets.get(key_id)
        if secret is None:
            raise _Refused(403, "InvalidAccessKeyId", "The access key ID does not exist")
        return secret, scope

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            self._check(environ)
        except _Refused as refused:
            body = (
                f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{refused.code}</Code>"
                f"<Message>{refused.message}</Message></Error>"
            ).encode()
            start_response(
                f"{refused.status} {refused.code}",
                [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self._app(environ, start_response)

    def _check(self, environ: dict[str, Any]) -> None:
        query = environ.get("QUERY_STRING", "")
        pairs = [pair.partition("=") for pair in query.split("&") if pair]
        values = {key: value for key, _, value in pairs}
        if "X-Amz-Signature" in values:
            self._check_presigned_url(environ, pairs, values)
        if environ.get("HTTP_CONTENT_MD5") is not None:
            self._check_content_md5(environ)
        content_type = environ.get("CONTENT_TYPE", "")
        if environ["REQUEST_METHOD"] == "POST" and content_type.startswith("multipart/form-data"):
            self._check_post_policy(environ)

    def _check_presigned_url(
        self, environ: dict[str, Any], pairs: list[tuple[str, str, str]], values: dict[str, str]
    ) -> None:
        from urllib.parse import unquote  # noqa: PLC0415 - only here

        amz_date = values.get("X-Amz-Date", "")
        secret, scope = self._secret(unquote(values.get("X-Amz-Credential", "")))
        try:
            signed_at = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
            expires = int(values.get("X-Amz-Expires", "0"))
        except ValueError:
            raise _Refused(403, "AccessDenied", "Malformed presigned URL") from None
        if datetime.now(UTC) > signed_at + timedelta(seconds=expires):
            raise _Refused(403, "AccessDenied", "Request has expired")
        signed_headers = unquote(values.get("X-Amz-SignedHeaders", "host")).split(";")
        headers = []
        for name in signed_headers:
            key = "HTTP_" + name.upper().replace("-", "_")
            if name == "host":
                value = environ.get("HTTP_HOST", "")
            elif name in ("content-type", "content-length"):
                value = environ.get(name.upper().replace("-", "_"), "")
            else:
                value = environ.get(key)
                if value is None:
                    raise _Refused(403, "AccessDenied", f"Signed header {name} is missing")
            headers.append(f"{name}:{' '.join(value.split())}\n")
        raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]
        canonical_query = "&".join(
            f"{key}={value}"
            for key, _, value in sorted(pairs, key=lambda pair: (pair[0], pair[2]))
            if key != "X-Amz-Signature"
        )
        canonical = "\n".join(
            [
                environ["REQUEST_METHOD"],
                raw_path.partition("?")[0],
                canonical_query,
                "".join(headers),
                ";".join(signed_headers),
                "UNSIGNED-PAYLOAD",
            ]
        )
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        expected = _sign(secret, scope, f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{digest}")
        if not hmac.compare_digest(expected, values["X-Amz-Signature"]):
            raise _Refused(403, "SignatureDoesNotMatch", "The request signature does not match")

    @staticmethod
    def _body(environ: dict[str, Any]) -> bytes:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body: bytes = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        return body

    def _check_content_md5(self, environ: dict[str, Any]) -> None:
        body = self._body(environ)
        actual = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
        if environ["HTTP_CONTENT_MD5"] != actual:
            raise _Refused(400, "BadDigest", "The Content-MD5 you specified did not match")

    def _check_post_policy(self, environ: dict[str, Any]) -> None:
        body = self._body(environ)
        request = Request(dict(environ, **{"wsgi.input": io.BytesIO(body)}))
        try:
            form = {key.lower(): value for key, value in request.form.items()}
            upload = request.files.get("file")
            size = len(upload.read()) if upload is not None else 0
        finally:
            request.close()  # parsed files may sit in temporary files
        policy = form.get("policy")
        if policy is None:
            return  # not a presigned POST; moto decides
        secret, scope = self._secret(form.get("x-amz-credential", ""))
        if not hmac.compare_digest(_sign(secret, scope, policy), form.get("x-amz-signature", "")):
            raise _Refused(403, "SignatureDoesNotMatch", "The policy signature does not match")
        document = json.loads(base64.b64decode(policy))
        expiration = datetime.fromisoformat(document["expiration"].replace("Z", "+00:00"))
        if datetime.now(UTC) > expiration:
            raise _Refused(403, "AccessDenied", "Invalid according to Policy: Policy expired")
        bucket = environ["PATH_INFO"].strip("/").partition("/")[0]
        for condition in document.get("conditions", []):
            self._check_condition(condition, form, bucket, size)

    @staticmethod
    def _check_condition(condition: Any, form: dict[str, str], bucket: str, size: int) -> None:
        if isinstance(condition, dict):
            for name, value in condition.items():
                actual = bucket if name == "bucket" else form.get(name.lower())
                if actual != value:
                    raise _Refused(403, "AccessDenied", f"Policy condition failed: {name}")
        elif condition[0] == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if size > high:
                raise _Refused(400, "EntityTooLarge", "Your proposed upload exceeds the limit")
            if size < low:
                raise _Refused(400, "EntityTooSmall", "Your proposed upload is too small")


class StrictMotoServer(ThreadedMotoServer):
    """``ThreadedMotoServer`` on a free loopback port, behind :class:`StrictPresignedRequests`."""

    def __init__(self, *, secrets: dict[str, str], port: int = 0) -> None:
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
        self._secrets = dict(secrets)  # access key ID -> secret access key

    def _server_entry(self) -> None:
        app = StrictPresignedRequests(
            DomainDispatcherApplication(create_backend_app),
            secrets=self._secrets,
        )
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()
