"""A fixed bearer token as an azure-core async credential.

Only for a ``custom`` cloud on a loopback address (the built-in emulator, ``ztconsole emulator``): the
token comes from ``$ZTCONSOLE_TOKEN``. It is never written anywhere and never shown.
"""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken


class StaticTokenCredential:
    """An ``AsyncTokenCredential`` that always answers with the same token (valid for an hour)."""

    def __init__(self, token: str):
        if not token:
            raise ValueError("an empty static token")
        self._token = token

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> StaticTokenCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def __repr__(self) -> str:  # never the token
        return "StaticTokenCredential(<hidden>)"
