"""``hexkit dev s3``: SeaweedFS's S3 gateway whose buckets outlive the command."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from ._seaweedfs import SeaweedIdentity, SeaweedServer

__all__ = ["S3DevServer", "dev_server"]

_REGION = "us-east-1"


def _identity(directory: Path) -> SeaweedIdentity:
    """Return the directory's access key, made on first use and kept (owner-readable only)."""
    path = directory / "credentials.json"
    try:
        saved = json.loads(path.read_text())
        return SeaweedIdentity("dev", saved["access_key_id"], SecretStr(saved["secret"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    key_id, secret = f"hexkit-dev-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    directory.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps({"access_key_id": key_id, "secret": secret}))
    return SeaweedIdentity("dev", key_id, SecretStr(secret))


class S3DevServer:
    """SeaweedFS (``weed server`` with its S3 gateway) on loopback, data in ``directory``.

    The access key is made once per directory; the ports are kept too while they are free.
    """

    title = "S3 (SeaweedFS)"

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._directory = Path(directory)
        self._identity = _identity(self._directory)
        self._server = SeaweedServer([self._identity], directory=self._directory)

    def start(self) -> dict[str, str]:
        """Start the gateway; return the S3 provider's endpoint and credential settings."""
        self._server.start()
        return {
            "HEXKIT_S3_ENDPOINT_URL": self._server.endpoint_url,
            "HEXKIT_S3_ACCESS_KEY_ID": self._identity.access_key_id,
            "HEXKIT_S3_SECRET_ACCESS_KEY": self._identity.secret_access_key.get_secret_value(),
            "HEXKIT_S3_REGION": _REGION,
        }

    def stop(self) -> None:
        """Shut the server down gracefully and keep its data."""
        self._server.stop()


def dev_server(directory: Path) -> S3DevServer:
    """Build the S3 dev server over ``directory`` (the ``hexkit.dev`` entry point)."""
    return S3DevServer(directory)
