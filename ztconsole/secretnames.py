"""What counts as a secret, for every place that must never show one: a key named like a secret (the config
file's rule, the audit log's redaction) and text that looks like a token (a JWT)."""

from __future__ import annotations

import re

__all__ = ["JWT_LIKE", "is_secret_name"]

JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
"""A JSON web token (an access or ID token) anywhere in a text."""

_SECRET_WORDS = frozenset(
    {"secret", "secrets", "password", "passwd", "passphrase", "pwd", "token", "tokens", "apikey",
     "credential", "credentials", "connectionstring", "privatekey", "clientsecret", "sas", "bearer"}
)  # fmt: skip
_SECRET_PAIRS = frozenset(
    {("api", "key"), ("private", "key"), ("connection", "string"), ("access", "key"), ("account", "key"),
     ("shared", "key"), ("signing", "key"), ("master", "key"), ("primary", "key"), ("secondary", "key")}
)  # fmt: skip


_NOT_SECRET_NAMES = frozenset({"token_cache"})  # settings whose names merely mention a secret word


def is_secret_name(name: str) -> bool:
    """Whether a key is named like a secret (``client_secret``, ``apiKey``, ``SAS-Token``, ...)."""
    if name in _NOT_SECRET_NAMES:
        return False
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    parts = [part for part in re.split(r"[^a-z0-9]+", words) if part]
    pairs = zip(parts, parts[1:])
    return any(part in _SECRET_WORDS for part in parts) or any(pair in _SECRET_PAIRS for pair in pairs)
